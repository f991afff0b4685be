"""A logger for the nbgrader and Jupyter objects the pipeline drives directly.

nbgrader's preprocessors and nbclient log every oddity of a submission
("Cell with id 'x' exists multiple times!", "Timeout waiting for execute
reply") as warnings and errors. The pipeline records those as incidents
instead, so their own logging goes to this logger, which shows only
critical messages unless AUTOGRADER_DEBUG=1.
"""

import logging
import os

log = logging.getLogger("autograder.nbgrader")
log.propagate = False
if os.environ.get("AUTOGRADER_DEBUG") == "1":
    log.setLevel(logging.DEBUG)
    log.addHandler(logging.StreamHandler())
else:
    log.setLevel(logging.CRITICAL)
    log.addHandler(logging.NullHandler())
