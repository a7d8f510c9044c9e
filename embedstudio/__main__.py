"""`embedstudio` / `python -m embedstudio`: the window with no sub-command, the CLI with one."""

import sys


def main(argv=None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen bundle on Windows/macOS: child processes must not rerun the app
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--selftest"]:
        from embedstudio.app.selftest import run_selftest

        return run_selftest()
    if not argv or argv[0] not in _cli_commands() and not argv[0].startswith("-"):
        try:
            from embedstudio.app import run_app  # noqa: F401 - the window arrives with the app issue
        except ImportError:
            pass
        else:
            return run_app(argv)
    from embedstudio.cli import main as cli_main

    return cli_main(argv)


def _cli_commands() -> set[str]:
    """The CLI's sub-commands (a test keeps the list equal to the parser's, so none is taken for a path)."""
    from embedstudio.cli import COMMANDS

    return set(COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
