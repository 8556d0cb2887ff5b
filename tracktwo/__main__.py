"""``python -m tracktwo``: the same command as ``tracktwo`` (handy in a venv without its scripts
on PATH, and on Windows)."""

from tracktwo.cli import main

if __name__ == "__main__":
    main()
