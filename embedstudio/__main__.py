"""`embedstudio` / `python -m embedstudio`: the window with no sub-command, the CLI with one."""

import os
import sys


def main(argv=None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen bundle on Windows/macOS: child processes must not rerun the app
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--selftest"]:
        from embedstudio.app.selftest import run_selftest

        return run_selftest()
    commands = _cli_commands()
    if argv and argv[0] not in commands and not argv[0].startswith("-"):
        missing = [a for a in argv if not a.startswith("-") and not os.path.exists(a)]
        if missing:  # only files open the window: a mistyped command says so instead
            print(f"embedstudio: {_not_found(missing[0], commands)}", file=sys.stderr)
            return 2
    if not argv or argv[0] not in commands and not argv[0].startswith("-"):
        try:
            from embedstudio.app import run_app  # noqa: F401 - the window arrives with the app issue
        except ImportError:
            pass
        else:
            return run_app(argv)
    from embedstudio.cli import main as cli_main

    return cli_main(argv)


def _not_found(word: str, commands: set[str]) -> str:
    """'unknown command 'trian' (did you mean 'train'?)', or 'no such file' for what looks like a path."""
    import difflib

    guess = difflib.get_close_matches(word, sorted(commands), n=1)
    if guess:
        return f"unknown command {word!r} (did you mean {guess[0]!r}?); 'embedstudio --help' lists the commands"
    if os.sep in word or "." in word:
        return f"no such file: {word}"
    return f"unknown command {word!r}; 'embedstudio --help' lists the commands"


def _cli_commands() -> set[str]:
    """The CLI's sub-commands (a test keeps the list equal to the parser's, so none is taken for a path)."""
    from embedstudio.cli import COMMANDS

    return set(COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
