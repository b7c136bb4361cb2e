from protolint.cli import entry

entry()
