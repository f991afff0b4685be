"""The test-integrity guard inside a grading kernel (standard library only).

The sandbox's boot program (autograder.sandbox) reads this file, runs
`install(secret_path, options)` and deletes the file, all before ipykernel
starts; it is never imported as `autograder.kernel_guard` in a kernel. The
grader's side is autograder.integrity.

What it defends. A submission runs in the same interpreter as the tests
that grade it, so it could change what the tests see: an IPython input
transformer that turns `assert` into `pass`, an AST transformer, a trace or
profile function, a replaced `showtraceback` that hides errors, event
callbacks, monkey-patched `utils.checks` or numpy functions (or their
`__defaults__`, `__kwdefaults__`, `__code__`, closures), replaced builtins,
a rebound `check_array` or `np`, a module planted in sys.modules or on
sys.path, a background thread that patches things while a test runs.

How. One audit hook (PEP 578). Audit hooks cannot be removed from Python
code, and everything the guard keeps (its snapshot, its key) lives only in
the hook's closure: no module, global name or frame of the kernel refers to
it, and the introspection that could reach it (gc.get_referrers/referents/
objects, sys._current_frames, ctypes, new audit hooks, trace and profile
functions, /proc/*/mem) is refused while student code runs. The grader talks
to the hook with `sys.audit(...)` calls in silent snippets:

    autograder.seal                      (boot, before any student code) import the modules
                                         tests rely on; snapshot everything listed above.
    autograder.ping    nonce mac         answer, to prove the guard is alive.
    autograder.arm     nonce raw_sha text_sha mac
                                         before a test cell: restore everything to the
                                         snapshot, recording each difference as tampering;
                                         then watch the next cell: the first code it executes
                                         must come from exactly the test's text (no input
                                         transformer changed it), and at that moment the
                                         state is verified again.
    autograder.verdict nonce mac         after the test cell: verify again (tampering during
                                         the test), report the test's outcome as IPython saw it,
                                         remove the reference solution from reach.
    autograder.bind    nonce names mac   after an instructor's locked cell: remember what the
                                         names it defined are bound to (checked at each arm).

Every request carries an HMAC (the key comes in a file the boot program
reads and deletes before ipykernel starts), and every answer is a file in
the kernel's private folder, `.guard-<nonce>`, with an HMAC over its text.
A request the guard never saw (a snippet rewritten or swallowed) leaves no
answer, and the grader counts a missing or forged answer as tampering:
the scheme fails closed.

While the hook handles a request it calls no code a student can replace or
reach: objects are compared by identity, dictionaries are read only after
checking that their keys are exact strings, objects it removes are kept
alive (so no `__del__` runs inside it), the garbage collector is paused and
signals are blocked.
"""


def install(secret_path, options):
    """Install the guard: read (and delete) the key at `secret_path`; `options` as in integrity.guard_options."""
    import _thread
    import gc
    import os
    import signal
    import sys
    import types

    try:
        from _hashlib import hmac_new as _hmac_new
    except ImportError:  # Python without OpenSSL: the standard library's HMAC
        import hmac as _hmac_module

        def _hmac_new(key, msg, digestmod):
            return _hmac_module.new(bytes(key), msg, digestmod)

    key = bytearray(64)
    fd = os.open(secret_path, os.O_RDONLY)
    try:
        length = os.readv(fd, [key])
    finally:
        os.close(fd)
    os.unlink(secret_path)
    keyed = _hmac_new(key[:length], b"", "sha256")
    for position in range(len(key)):
        key[position] = 0
    del key

    # Everything the hook uses is bound here, so replacing a builtin or a module attribute later
    # changes nothing for it.
    _type, _id, _len, _repr, _str, _int, _tuple, _list, _dict = type, id, len, repr, str, int, tuple, list, dict
    _bool, _bytes, _zip, _object, _set = bool, bytes, zip, object, set
    _property, _staticmethod, _classmethod = property, staticmethod, classmethod
    _RuntimeError, _ValueError, _OSError, _Exception = RuntimeError, ValueError, OSError, Exception
    _issubclass, _object_getattr, _object_setattr = issubclass, object.__getattribute__, object.__setattr__
    _join = "".join
    _all, _map = all, map
    _is = __import__("operator").is_
    _repeat = __import__("itertools").repeat
    _type_name = type.__dict__["__name__"].__get__
    _type_module = type.__dict__["__module__"].__get__
    _FunctionType, _ModuleType, _MethodType = types.FunctionType, types.ModuleType, types.MethodType
    _BuiltinType, _CodeType = types.BuiltinFunctionType, types.CodeType
    _SIGINT = signal.SIGINT
    _get_ident = _thread.get_ident
    _gc_disable, _gc_enable, _gc_isenabled = gc.disable, gc.enable, gc.isenabled
    _sigmask, _SIG_BLOCK, _SIG_SETMASK = signal.pthread_sigmask, signal.SIG_BLOCK, signal.SIG_SETMASK
    _valid_signals = signal.valid_signals
    _getsignal, _setsignal, _setitimer = signal.getsignal, signal.signal, signal.setitimer
    _ITIMERS = (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)
    _os_open, _os_write, _os_close, _os_replace, _os_read = os.open, os.write, os.close, os.replace, os.read
    _O_RDONLY = os.O_RDONLY
    _O_NEW = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    _gettrace, _getprofile, _settrace, _setprofile = sys.gettrace, sys.getprofile, sys.settrace, sys.setprofile
    _current_frames, _getframe = sys._current_frames, sys._getframe
    _getrecursionlimit, _setrecursionlimit = sys.getrecursionlimit, sys.setrecursionlimit
    _sha256 = __import__("hashlib").sha256
    _sys_dict = sys.__dict__
    _modules = sys.modules
    _import = __import__
    _AssertionError, _BaseException = AssertionError, BaseException

    folder = options["folder"]
    strict_prefixes = _tuple(options["strict"])
    reference_prefix = options["reference"]
    trusted_roots = _tuple(options["trusted_roots"])
    ignored_builtins = frozenset(options["ignored_builtins"])
    critical_sys = _tuple(options["critical_sys"])
    blocked_events = frozenset(options["blocked_events"])
    allowed_ctypes = frozenset(options["allowed_ctypes"])
    critical_keys = frozenset(options["critical_keys"])
    volatile = frozenset(options["volatile"])
    main_thread = _get_ident()

    graveyard = []            # objects the guard replaced: kept alive so no finaliser runs inside the hook
    pending = []              # tampering seen outside a test (blocked calls), reported at the next arm
    busy = [0]                # thread id currently inside the guard (its own audit events pass through)
    sealed = [False]
    used_nonces = _set()
    snap = {}
    window = {"armed": False}

    def mac(text):
        digest = keyed.copy()
        digest.update(text.encode("utf-8"))
        return digest.hexdigest()

    def plain(value):
        kind = _type(value)
        if kind is _tuple:
            for item in value:
                if not plain(item):
                    return False
            return True
        return kind is _str or kind is _int or kind is _bool or value is None

    def authentic(parts, tag):
        """True if `parts` (a tuple of exact ints, strings, bools, tuples) was signed by the grader."""
        if _type(tag) is not _str or not plain(parts) or not _len(parts):
            return False
        nonce = parts[0]
        if _type(nonce) is not _int or nonce in used_nonces:
            return False
        if mac(_repr(parts)) != tag:
            return False
        used_nonces.add(nonce)
        return True

    def answer(nonce, fields):
        text = _repr(fields)
        data = (mac(text) + "\n" + text).encode("utf-8")
        path = folder + "/.guard-" + _repr(nonce)
        temporary = path + ".tmp"
        fd = _os_open(temporary, _O_NEW, 0o600)
        try:
            _os_write(fd, data)
        finally:
            _os_close(fd)
        _os_replace(temporary, path)

    def text(value):
        """An exact str from a str or str subclass without calling any of its methods."""
        return _join((value,)) if _issubclass(_type(value), _str) else "?"

    def trusted_file(filename):
        if _type(filename) is not _str:
            return False
        for root in trusted_roots:
            if filename.startswith(root):
                return True
        return False

    def clean_keys(mapping):
        """Drop the keys of an exact dict that are not exact strs (a lookup could run their __eq__).

        Rebuilds the dict without hashing those keys; returns True if there were any."""
        if _type(mapping) is not _dict or _all(_map(_is, _map(_type, mapping), _repeat(_str))):
            return False
        items = _list(mapping.items())
        graveyard.append(items)
        mapping.clear()
        for name, value in items:
            if _type(name) is _str:
                mapping[name] = value
        return True

    def code_like(value):
        kind = _type(value)
        return (kind is _FunctionType or kind is _BuiltinType or kind is _MethodType or kind is _ModuleType
                or _issubclass(kind, _type))

    def cell_value(cell):
        try:
            return cell.cell_contents
        except _ValueError:
            return cell

    def untrusted_handler(handler):
        kind = _type(handler)
        if kind is _MethodType:
            handler, kind = handler.__func__, _type(handler.__func__)
        if kind is _FunctionType:
            return not trusted_file(handler.__code__.co_filename)
        return not (kind is _BuiltinType or kind is _int or handler is None)

    # ------------------------------------------------------------------ snapshot (at seal)

    def is_strict(name):
        for prefix in strict_prefixes:
            if name == prefix or name.startswith(prefix + "."):
                return True
        return False

    def take_snapshot(shell):
        modules, functions, classes, seen_classes = [], [], [], _set()

        def add_function(function):
            closure = function.__closure__ or ()
            kwdefaults = function.__kwdefaults__
            functions.append((function, _str(function.__module__) + "." + _str(function.__qualname__),
                              function.__code__, function.__defaults__, kwdefaults,
                              _dict(kwdefaults) if _type(kwdefaults) is _dict else None,
                              closure, _tuple(cell_value(cell) for cell in closure)))

        def add_class(cls, strict):
            if _id(cls) in seen_classes or cls is _object or cls is _type:
                return
            seen_classes.add(_id(cls))
            copy = _dict(cls.__dict__)
            classes.append((cls, _type_module(cls) + "." + _type_name(cls), copy,
                            (_tuple(copy), _tuple(copy.values()))))
            if strict:
                for value in copy.values():
                    kind = _type(value)
                    inner = value.__func__ if kind is _staticmethod or kind is _classmethod else value
                    if _type(inner) is _FunctionType:
                        add_function(inner)

        for name, module in _list(_modules.items()):
            if _type(name) is not _str or _type(module) is not _ModuleType:
                continue
            namespace = module.__dict__
            if namespace is shell.user_ns:
                continue  # the student's own namespace (checked through the instructor's bindings)
            strict = is_strict(name)
            copy = _dict(namespace)
            modules.append((name, module, namespace, copy, strict, [_tuple(copy), _tuple(copy.values())]))
            if strict:
                for value in _list(namespace.values()):
                    if _type(value) is _FunctionType and value.__module__ == name:
                        add_function(value)
                    elif _issubclass(_type(value), _type) and _type_module(value) == name:
                        add_class(value, True)
        shell.input_transformer_manager, shell.ast_transformers, shell.input_transformers_post  # create defaults
        instances = []
        critical = [shell, shell.kernel, shell.kernel.session, shell.displayhook, shell.display_pub, shell.compile,
                    shell.events, shell.input_transformer_manager, shell.InteractiveTB, shell.SyntaxTB,
                    shell.builtin_trap, shell.display_trap, sys.stdout, sys.stderr]
        for obj in critical:
            for cls in _type(obj).__mro__:
                add_class(cls, False)
            namespace = _object_getattr(obj, "__dict__")
            traits = namespace.get("_trait_values")
            instances.append((obj, _type(obj), _type_name(_type(obj)), namespace, _dict(namespace),
                              traits, _dict(traits) if _type(traits) is _dict else None))
        lists = []
        manager = shell.input_transformer_manager
        for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
            value = _object_getattr(manager, "__dict__").get(name)
            if _type(value) is _list:
                lists.append(("IPython input transformers (" + name + ")", value, _list(value)))
        traits = _object_getattr(shell, "__dict__")["_trait_values"]
        for name in ("input_transformers_post", "ast_transformers"):
            value = getattr(shell, name)
            if _type(value) is _list:
                lists.append(("IPython " + name.replace("_", " "), value, _list(value)))
        callbacks = _object_getattr(shell.events, "__dict__")["callbacks"]
        callback_copies = {event: _list(value) for event, value in callbacks.items() if _type(value) is _list}
        for name in ("meta_path", "path_hooks"):
            lists.append(("sys." + name, _sys_dict[name], _list(_sys_dict[name])))
        execution = _import("IPython.core.interactiveshell", fromlist=["ExecutionResult"])
        snap.update(
            shell=shell, shell_dict=_object_getattr(shell, "__dict__"), modules=modules, functions=functions,
            classes=classes, instances=instances, lists=lists, callbacks=callbacks,
            callback_lists=_dict(callbacks), callback_copies=callback_copies,
            sys_values={name: _sys_dict.get(name) for name in critical_sys},
            path=_sys_dict["path"], path_entries=_list(_sys_dict["path"]),
            user_ns=shell.user_ns, user_builtins=shell.user_ns.get("__builtins__"),
            trace=_gettrace(), profile=_getprofile(), recursion=_getrecursionlimit(),
            signals={number: _getsignal(number) for number in _valid_signals() if number != _SIGINT},
            protected_functions={_id(record[0]) for record in functions},
            critical_ids={_id(record[0]) for record in instances},
            reference={name: module for name, module, _, _, _, _ in modules
                       if name == reference_prefix or name.startswith(reference_prefix + ".")},
            bindings={}, result_class=execution.ExecutionResult, info_class=execution.ExecutionInfo,
            displayhook=shell.displayhook,
        )
        reference_values = _set()
        for module in snap["reference"].values():
            reference_values.add(_id(module))
            for value in _list(module.__dict__.values()):
                kind = _type(value)
                home = value.__module__ if kind is _FunctionType else (
                    _type_module(value) if _issubclass(kind, _type) else None)
                if _type(home) is _str and (home == reference_prefix or home.startswith(reference_prefix + ".")):
                    reference_values.add(_id(value))
        snap["reference_values"] = reference_values

    # ------------------------------------------------------------------ verify / restore

    def verify(restore, findings):
        """Compare the kernel with the snapshot, append a sentence per difference, restore if asked."""
        check_modules(restore, findings)
        check_functions(restore, findings)
        check_classes(restore, findings)
        for obj, kind, label, namespace, copy, traits, trait_copy in snap["instances"]:
            if _type(obj) is not kind:
                findings.append("the class of IPython's " + label + " was changed")
                if restore:
                    _object_setattr(obj, "__class__", kind)
            if _object_getattr(obj, "__dict__") is not namespace:
                findings.append("the attributes of IPython's " + label + " were replaced")
                if restore:
                    _object_setattr(obj, "__dict__", namespace)
            check_namespace(label, kind, namespace, copy, restore, findings)
            if trait_copy is not None:
                check_namespace(label, kind, traits, trait_copy, restore, findings)
        for label, value, copy in snap["lists"]:
            if not same_list(value, copy):
                findings.append(label + " were changed")
                if restore:
                    graveyard.append(_list(value))
                    value[:] = copy
        check_callbacks(restore, findings)
        check_sys(restore, findings)
        check_user_namespace(restore, findings)
        student_threads(findings)

    def check_callbacks(restore, findings):
        """IPython's event callbacks: the submission's own are tampering; the environment's (matplotlib's
        inline backend, autoreload) are allowed and kept."""
        callbacks = snap["callbacks"]
        clean_keys(callbacks)
        for event, value in _list(callbacks.items()):
            if snap["callback_lists"].get(event) is not value:
                findings.append("IPython event callbacks (" + event + ") were replaced")
                if restore:
                    graveyard.append(value)
                    if event in snap["callback_lists"]:
                        callbacks[event] = snap["callback_lists"][event]
                    else:
                        del callbacks[event]
        for event, value in snap["callback_lists"].items():
            if callbacks.get(event) is not value:
                continue
            copy = snap["callback_copies"][event]
            kept, foreign = [], False
            for callback in copy:
                if not contains(value, callback):
                    foreign = True
            for callback in value:
                if contains(copy, callback) or trusted_callable(callback):
                    kept.append(callback)
                else:
                    foreign = True
            for callback in copy:
                if not contains(kept, callback):
                    kept.insert(0, callback)
            if foreign:
                findings.append("IPython event callbacks (" + event + ") were changed")
                if restore:
                    graveyard.append(_list(value))
                    value[:] = kept

    def contains(items, wanted):
        for item in items:
            if item is wanted:
                return True
        return False

    def trusted_callable(value):
        kind = _type(value)
        if kind is _MethodType:
            value = value.__func__
            kind = _type(value)
        if kind is _FunctionType:
            return trusted_file(value.__code__.co_filename)
        return kind is _BuiltinType

    def check_modules(restore, findings):
        clean_keys(_modules)
        for name, module, namespace, copy, strict, fast in snap["modules"]:
            if name in snap["reference"]:
                continue
            present = _modules.get(name)
            if present is not module:
                if strict or present is not None:
                    findings.append("sys.modules[" + _repr(name) + "] was replaced")
                if restore:
                    graveyard.append(present)
                    _modules[name] = module
            if unchanged(namespace, fast):
                continue
            before = _len(findings)
            if clean_keys(namespace):
                findings.append("module " + name + " got attribute names that are not strings")
            builtins = name == "builtins"
            for attribute, value in copy.items():
                current = namespace.get(attribute, namespace)
                if current is value or (builtins and attribute in ignored_builtins) \
                        or name + "." + attribute in volatile or attribute == "__warningregistry__":
                    continue
                if strict or builtins or code_like(value):
                    findings.append(name + "." + attribute + " was "
                                    + ("deleted" if current is namespace else "replaced"))
                    if restore:
                        graveyard.append(current)
                        namespace[attribute] = value
            if strict or builtins:
                for attribute in _list(namespace):
                    if attribute in copy or (builtins and attribute in ignored_builtins) \
                            or (_type(attribute) is _str and attribute == "__warningregistry__"):
                        continue  # the warnings machinery adds a registry to the module a warning points at
                    value = namespace[attribute]
                    if strict and _type(value) is _ModuleType:
                        if restore:  # a submodule imported later (numpy.testing, ...): part of the module now
                            copy[attribute] = value
                            fast[:] = [_tuple(copy), _tuple(copy.values())]
                        continue
                    findings.append(name + "." + attribute + " was added")
                    if restore:
                        graveyard.append(namespace.pop(attribute))
            if _len(findings) == before or restore:
                fast[:] = [_tuple(namespace), _tuple(namespace.values())]  # the last state found good

    def unchanged(namespace, fast):
        """True if `namespace` holds exactly the same key and value objects, in the same order, as `fast`
        (no lookup, so no foreign __eq__ or __hash__ can run)."""
        keys, values = fast
        return _len(namespace) == _len(keys) and _all(_map(_is, namespace, keys)) \
            and _all(_map(_is, namespace.values(), values))

    def check_functions(restore, findings):
        for function, where, code, defaults, kwdefaults, kwcopy, closure, contents in snap["functions"]:
            if function.__code__ is not code:
                findings.append(where + ".__code__ was replaced")
                if restore:
                    graveyard.append(function.__code__)
                    function.__code__ = code
            if function.__defaults__ is not defaults:
                findings.append(where + ".__defaults__ was replaced")
                if restore:
                    graveyard.append(function.__defaults__)
                    function.__defaults__ = defaults
            current = function.__kwdefaults__
            if current is not kwdefaults or (kwcopy is not None and not same_dict(current, kwcopy)):
                findings.append(where + ".__kwdefaults__ was changed")
                if restore:
                    graveyard.append(current)
                    if kwcopy is not None:
                        graveyard.append(_list(kwdefaults.items()))
                        kwdefaults.clear()
                        kwdefaults.update(kwcopy)
                    function.__kwdefaults__ = kwdefaults
            for cell, value in _zip(closure, contents):
                if value is cell:
                    continue
                if cell_value(cell) is not value:
                    findings.append(where + " had a closure variable replaced")
                    if restore:
                        graveyard.append(cell_value(cell))
                        cell.cell_contents = value

    def check_classes(restore, findings):
        for cls, label, copy, fast in snap["classes"]:
            namespace = cls.__dict__
            if unchanged(namespace, fast):
                continue
            for attribute, value in copy.items():
                current = namespace.get(attribute, namespace)
                if current is not value:
                    findings.append(label + "." + attribute + " was "
                                    + ("deleted" if current is namespace else "replaced"))
                    if restore:
                        graveyard.append(current)
                        _type.__setattr__(cls, attribute, value)
            for attribute in _list(namespace):
                if _type(attribute) is _str and attribute not in copy and not attribute.startswith("_abc_") \
                        and attribute != "__slotnames__":
                    findings.append(label + "." + attribute + " was added")
                    if restore:
                        graveyard.append(namespace[attribute])
                        _type.__delattr__(cls, attribute)

    def check_namespace(label, kind, namespace, copy, restore, findings):
        if _type(namespace) is not _dict:
            return
        if clean_keys(namespace):
            findings.append("IPython's " + label + " got attribute names that are not strings")
        for name, value in copy.items():
            current = namespace.get(name, namespace)
            if current is value or label + "." + name in volatile:
                continue
            if code_like(value) or name in critical_keys:
                findings.append("IPython's " + label + "." + name + " was "
                                + ("deleted" if current is namespace else "replaced"))
                if restore:
                    graveyard.append(current)
                    namespace[name] = value
        for name in _list(namespace):
            if name not in copy and class_has(kind, name):
                findings.append("IPython's " + label + "." + name + " was overridden on the instance")
                if restore:
                    graveyard.append(namespace.pop(name))

    def class_has(kind, name):
        for cls in kind.__mro__:
            namespace = cls.__dict__
            if name in namespace:
                value_type = _type(namespace[name])
                return value_type is _FunctionType or value_type is _property or value_type is _staticmethod \
                    or value_type is _classmethod
        return False

    def check_sys(restore, findings):
        for name, value in snap["sys_values"].items():
            current = _sys_dict.get(name)
            if current is not value and not (name == "displayhook" and current is snap["displayhook"]) \
                    and "sys." + name not in volatile:
                findings.append("sys." + name + " was replaced")
                if restore:
                    graveyard.append(current)
                    _sys_dict[name] = value
        if _sys_dict.get("path") is not snap["path"]:
            findings.append("sys.path was replaced")
            if restore:
                graveyard.append(_sys_dict.get("path"))
                _sys_dict["path"] = snap["path"]
        if restore:
            path = snap["path"]
            graveyard.append(_list(path))
            path[:] = [entry for entry in snap["path_entries"] if entry != "" and entry != "."]
            cache = _sys_dict.get("path_importer_cache")
            if _type(cache) is _dict:
                graveyard.append(_list(cache.items()))
                cache.clear()
        if _gettrace() is not snap["trace"]:
            findings.append("a trace function (sys.settrace) was set")
            if restore:
                _settrace(snap["trace"])
        if _getprofile() is not snap["profile"]:
            findings.append("a profile function (sys.setprofile) was set")
            if restore:
                _setprofile(snap["profile"])
        for number, handler in snap["signals"].items():
            current = _getsignal(number)
            if current is handler or not untrusted_handler(current):
                continue
            findings.append("a handler of the submission was installed for signal " + _repr(number))
            if restore:
                graveyard.append(current)
                try:
                    _setsignal(number, handler if handler is not None else 0)
                except (_OSError, _ValueError, _RuntimeError):
                    pass
        if restore:
            if _getrecursionlimit() != snap["recursion"]:
                _setrecursionlimit(snap["recursion"])
            for timer in _ITIMERS:
                _setitimer(timer, 0)

    def check_user_namespace(restore, findings):
        shell_dict = snap["shell_dict"]
        if shell_dict.get("_user_ns") is not snap["user_ns"]:
            findings.append("the user namespace was replaced")
            if restore:
                graveyard.append(shell_dict.get("_user_ns"))
                shell_dict["_user_ns"] = snap["user_ns"]
        user_ns = snap["user_ns"]
        if clean_keys(user_ns):
            findings.append("the user namespace got names that are not strings")
        if user_ns.get("__builtins__") is not snap["user_builtins"]:
            findings.append("__builtins__ of the user namespace was replaced")
            if restore:
                graveyard.append(user_ns.get("__builtins__"))
                user_ns["__builtins__"] = snap["user_builtins"]
        for name, (value, critical) in snap["bindings"].items():
            current = user_ns.get(name, user_ns)
            if current is not value:
                if critical:
                    findings.append(name + ", defined by an instructor's cell, was "
                                    + ("deleted" if current is user_ns else "rebound"))
                if restore:
                    graveyard.append(current)
                    user_ns[name] = value

    def same_list(value, copy):
        if _type(value) is not _list or _len(value) != _len(copy):
            return False
        for left, right in _zip(value, copy):
            if left is not right:
                return False
        return True

    def same_dict(value, copy):
        if _type(value) is not _dict or _len(value) != _len(copy):
            return False
        clean_keys(value)
        for name, item in copy.items():
            if value.get(name, copy) is not item:
                return False
        return True

    def student_threads(findings):
        for ident, frame in _current_frames().items():
            if ident == main_thread:
                continue
            while frame is not None:
                filename = frame.f_code.co_filename
                if not trusted_file(filename) and not filename.startswith("<frozen "):
                    findings.append("a thread started by the submission is running (" + text(filename) + ")")
                    return
                frame = frame.f_back

    # ------------------------------------------------------------------ requests

    def seal():
        for name in options["preload"]:
            try:
                _import(name)
            except _Exception:  # noqa: BLE001 - a module that cannot be imported is simply not protected
                pass
        take_snapshot(_import("IPython").get_ipython())
        for name in snap["reference"]:
            graveyard.append(_modules.pop(name, None))
        sealed[0] = True

    def arm(nonce, raw_sha, text_sha):
        findings = _list(pending)
        pending.clear()
        verify(True, findings)
        for name, module in snap["reference"].items():
            _modules[name] = module
        window.clear()
        window.update(armed=True, nonce=nonce, raw_sha=raw_sha, text_sha=text_sha, findings=findings,
                      matched=False, filename=None, started=False, mismatch=False)
        answer(nonce, ("armed", _tuple(findings)))

    def verdict(nonce):
        findings = window.get("findings", [])
        armed = window.get("armed", False)
        if armed:
            verify(False, findings)
            if not window["started"]:
                findings.append("the test cell did not run as sent (its text was changed before it ran)")
            elif window["mismatch"]:
                findings.append("the test cell's text was changed before it ran (an input transformer?)")
        findings.extend(pending)
        pending.clear()
        outcome = test_outcome()
        for name in snap["reference"]:
            graveyard.append(_modules.pop(name, None))
        user_ns = snap["user_ns"]
        for name in _list(user_ns):
            if _id(user_ns[name]) in snap["reference_values"]:
                graveyard.append(user_ns.pop(name))
        window.clear()
        window["armed"] = False
        answer(nonce, ("verdict", armed, _tuple(findings)) + outcome)

    def test_outcome():
        """(the cell IPython ran last is the test, error class name or None, it is an AssertionError)."""
        result = snap["shell_dict"]["_trait_values"].get("last_execution_result")
        if _type(result) is not snap["result_class"]:
            return (False, "unknown", False)
        fields = _object_getattr(result, "__dict__")
        info = fields.get("info")
        raw = _object_getattr(info, "__dict__").get("raw_cell") if _type(info) is snap["info_class"] else None
        raw_ok = _type(raw) is _str and _sha256(raw.encode("utf-8")).hexdigest() == window.get("raw_sha")
        error = fields.get("error_in_exec")
        if error is None:
            error = fields.get("error_before_exec")
        if error is None:
            return (raw_ok, None, False)
        kind = _type(error)
        return (raw_ok, text(_type_name(kind)), _issubclass(kind, _AssertionError))

    def bind(names):
        user_ns = snap["user_ns"]
        clean_keys(user_ns)
        for pair in names:
            if _type(pair) is _tuple and _len(pair) == 2 and _type(pair[0]) is _str and pair[0] in user_ns:
                snap["bindings"][pair[0]] = (user_ns[pair[0]], pair[1] is True)

    def watch_code(event, args):
        """compile/exec while a test is armed: the first code run must come from the test's own text."""
        if window["started"]:
            return
        if event == "compile":
            source = args[0] if _len(args) else None
            if _type(source) is _bytes:
                source = source.decode("utf-8", "replace")
            if _type(source) is _str:
                if _sha256(source.strip().encode("utf-8")).hexdigest() == window["text_sha"]:
                    window["matched"] = True
                    name = args[1] if _len(args) > 1 else None
                    if _type(name) is _str and not name.startswith("<"):
                        window["filename"] = name
                else:
                    window["mismatch"] = True
            return
        code = args[0] if _len(args) else None
        filename = code.co_filename if _type(code) is _CodeType else None
        if not window["matched"] or filename is None or filename != window["filename"]:
            window["mismatch"] = True
        window["started"] = True
        verify(False, window["findings"])

    def guarded_import(args):
        name = args[0] if _len(args) else None
        if _type(name) is not _str or not (name == reference_prefix or name.startswith(reference_prefix + ".")):
            return
        caller = _getframe(1)
        while caller is not None and (caller.f_code.co_filename.startswith("<frozen ")
                                      or caller.f_code.co_filename == "<autograder kernel guard>"
                                      or trusted_file(caller.f_code.co_filename)):
            caller = caller.f_back
        if window.get("armed") and caller is not None and caller.f_code.co_filename == window.get("filename"):
            return
        message = "the submission imported " + name + " (the grader's reference solution)"
        (window["findings"] if window.get("armed") else pending).append(message)

    def caller_trusted():
        """True if the code that raised the current event lives in the environment's files."""
        frame = _getframe(2)
        while frame is not None and frame.f_code.co_filename == "<autograder kernel guard>":
            frame = frame.f_back
        return frame is not None and trusted_file(frame.f_code.co_filename)

    def from_importlib():
        """True if the code that raised the current event is Python's import system."""
        frame = _getframe(2)
        while frame is not None and frame.f_code.co_filename == "<autograder kernel guard>":
            frame = frame.f_back
        return frame is not None and frame.f_code.co_filename.startswith("<frozen importlib")

    file_digests = {}

    def same_as_file(source, filename, verdict):
        """verdict[0] = True if `source` is the text of `filename` (tracebacks compile library files)."""
        if _type(source) is _str:
            source = source.encode("utf-8")
        if _type(source) is not _bytes:
            return
        if filename not in file_digests:
            digest = None
            try:
                fd = _os_open(filename, _O_RDONLY)
                try:
                    chunks = []
                    while True:
                        chunk = _os_read(fd, 1 << 20)
                        if not chunk:
                            break
                        chunks.append(chunk)
                    digest = _sha256(b"".join(chunks)).hexdigest()
                finally:
                    _os_close(fd)
            except _OSError:
                pass
            file_digests[filename] = digest
        verdict[0] = file_digests[filename] is not None and _sha256(source).hexdigest() == file_digests[filename]

    def refuse(event, reason):
        message = "blocked " + event + " (" + reason + ")"
        (window["findings"] if window.get("armed") else pending).append(message)
        raise _RuntimeError("the autograder " + message)

    def handle(event, args):
        if event == "autograder.seal":
            if not sealed[0]:
                try:
                    seal()
                except _BaseException:  # the guard stays off; the grader reports why (no student code ran yet)
                    report = _import("traceback").format_exc()
                    fd = _os_open(folder + "/.guard-error", _O_NEW, 0o600)
                    try:
                        _os_write(fd, report.encode("utf-8", "replace"))
                    finally:
                        _os_close(fd)
            return
        if not sealed[0]:
            return
        if event == "autograder.ping":
            if _len(args) == 2 and authentic((args[0],), args[1]):
                answer(args[0], ("alive",))
        elif event == "autograder.arm":
            if _len(args) == 4 and authentic(args[:3], args[3]):
                arm(*args[:3])
        elif event == "autograder.verdict":
            if _len(args) == 2 and authentic((args[0],), args[1]):
                verdict(args[0])
        elif event == "autograder.bind":
            if _len(args) == 3 and authentic(args[:2], args[2]):
                bind(args[1])
                answer(args[0], ("bound",))

    requests = frozenset(("autograder.seal", "autograder.ping", "autograder.arm", "autograder.verdict",
                          "autograder.bind"))

    def privileged(function, *args):
        """Run `function` with signals blocked, the collector paused and this thread's events ignored."""
        blocked = _sigmask(_SIG_BLOCK, _valid_signals())
        collecting = _gc_isenabled()
        _gc_disable()
        busy[0] = _get_ident()
        try:
            function(*args)
        finally:
            busy[0] = 0
            if collecting:
                _gc_enable()
            _sigmask(_SIG_SETMASK, blocked)

    def hook(event, args):
        if busy[0] == _get_ident():
            return
        if event in requests:
            privileged(handle, event, args)
            return
        if not sealed[0]:
            return
        if event in blocked_events:
            if (event == "sys.settrace" or event == "sys.setprofile") and caller_trusted():
                return  # e.g. utils.checks.check_does_not_call watching a student's function
            refuse(event, "introspection or tracing that could reach the grader's checks")
        if event.startswith("ctypes.") and event not in allowed_ctypes:
            refuse(event, "raw memory access")
        if event == "open":
            path = args[0] if _len(args) else None
            if _type(path) is _bytes:
                path = path.decode("utf-8", "replace")
            if _type(path) is _str and path.startswith("/proc/") and (path.endswith("/mem")
                                                                      or "/map_files" in path):
                refuse(event, "reading process memory")
        elif event == "object.__setattr__":
            if _len(args) >= 2 and _type(args[1]) is _str:
                target = _id(args[0])
                if args[1] in ("__code__", "__defaults__", "__kwdefaults__") \
                        and target in snap["protected_functions"]:
                    refuse(event, "changing " + args[1] + " of a function the tests use")
                if args[1] == "__class__" and target in snap["critical_ids"]:
                    refuse(event, "changing the class of the kernel's own objects")
        elif event == "import":
            privileged(guarded_import, args)
        elif event == "function.__new__":
            code = args[0] if _len(args) else None
            if _type(code) is _CodeType and trusted_file(code.co_filename) and not caller_trusted():
                refuse(event, "a function built from the environment's code with other globals")
        elif (event == "marshal.loads" or event == "marshal.load") and not caller_trusted() \
                and not from_importlib():
            refuse(event, "code objects built from bytes")
        elif (event == "compile" or event == "code.__new__") and _len(args) > 1 and trusted_file(args[1]) \
                and not from_importlib():
            verdict = [False]
            privileged(same_as_file, args[0], args[1], verdict)
            if not verdict[0]:
                refuse(event, "code claiming to come from " + text(args[1]))
        elif (event == "compile" or event == "exec") and window["armed"] and _get_ident() == main_thread:
            privileged(watch_code, event, args)

    sys.addaudithook(hook)
