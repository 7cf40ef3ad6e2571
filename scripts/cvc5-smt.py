#!/usr/bin/env python3
"""Run the cvc5 library from its PyPI wheel as `cvc5 --lang smt` would run.

`nhi --prove` talks to a cvc5 process over standard input and output in
SMT-LIB 2. Where no cvc5 executable can be installed, the `cvc5` wheel on
PyPI still carries the solver; this script reads SMT-LIB commands from
standard input, runs each as it completes, and writes what cvc5 would
print, flushing after every command so that the caller can wait for the
answer to one query before it sends the next.

Each complete, parenthesis-balanced command is parsed by a fresh
InputParser over one shared SymbolManager: the 1.3 bindings refuse a
second incremental append after a declaration. `(reset)` starts a new
solver and symbol manager with the command-line options.

Options: `--lang smt` (the only language), `--version`, and any
`--name=value` or `--name` solver option such as `--tlimit-per=5000`.
"""

import sys

import cvc5

VERSION_PREFIX = "This is cvc5 version"


def parse_options(argv):
    options = []
    args = iter(argv)
    for arg in args:
        if arg == "--version":
            print(f"{VERSION_PREFIX} {cvc5_version()} (PyPI wheel, SMT-LIB adapter)")
            sys.exit(0)
        if arg == "--lang":
            lang = next(args, "")
            if lang not in ("smt", "smt2", "smtlib2.6", "smt2.6"):
                sys.exit(f"cvc5-smt: only --lang smt is supported, not {lang!r}")
            continue
        if arg.startswith("--lang="):
            continue
        if not arg.startswith("--"):
            sys.exit(f"cvc5-smt: unexpected argument {arg!r} (input is read from stdin)")
        name, _, value = arg[2:].partition("=")
        options.append((name, value or "true"))
    return options


def cvc5_version():
    version = getattr(cvc5, "__version__", None)
    if version:
        return version
    from importlib.metadata import version as dist_version

    return dist_version("cvc5")


class Session:
    def __init__(self, options):
        self.options = options
        self.reset()

    def reset(self):
        self.tm = cvc5.TermManager()
        self.solver = cvc5.Solver(self.tm)
        for name, value in self.options:
            self.solver.setOption(name, value)
        self.symbols = cvc5.SymbolManager(self.tm)

    def run(self, text):
        """Parse and run every command in `text`; False once cvc5 would quit."""
        parser = cvc5.InputParser(self.solver, self.symbols)
        parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "stdin")
        while True:
            try:
                command = parser.nextCommand()
            except RuntimeError as error:
                reply(f'(error "Parse Error: {escape(error)}")\n')
                return False
            if command.isNull():
                return True
            name = command.getCommandName()
            if name == "exit":
                return False
            if name == "reset":
                # Each chunk holds one command, so nothing follows on this
                # parser, which belongs to the old solver.
                self.reset()
                return True
            try:
                out = command.invoke(self.solver, self.symbols)
            except RuntimeError as error:
                out = f'(error "{escape(error)}")\n'
            if out:
                reply(out)


def escape(error):
    return str(error).replace('"', '""').replace("\n", " ")


def reply(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def commands(stream):
    """Yield each complete top-level S-expression of `stream`, as text."""
    depth = 0
    chunk = []
    in_string = in_symbol = False
    while True:
        line = stream.readline()
        if not line:
            break
        i = 0
        while i < len(line):
            c = line[i]
            if in_string:
                if c == '"':
                    in_string = False
            elif in_symbol:
                if c == "|":
                    in_symbol = False
            elif c == ";":
                chunk.append(line[i:])
                i = len(line)
                continue
            elif c == '"':
                in_string = True
            elif c == "|":
                in_symbol = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    chunk.append(c)
                    yield "".join(chunk)
                    chunk = []
                    i += 1
                    continue
            chunk.append(c)
            i += 1
    rest = "".join(chunk).strip()
    if rest and not all(l.lstrip().startswith(";") for l in rest.splitlines() if l.strip()):
        yield rest


def main():
    session = Session(parse_options(sys.argv[1:]))
    for text in commands(sys.stdin):
        if not session.run(text):
            return 1 if text.strip() != "(exit)" else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
