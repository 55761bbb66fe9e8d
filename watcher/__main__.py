"""`python -m watcher`: the same as the `watcher` console script."""

from watcher.cli import main

# Guarded: multiprocessing's spawn start method re-imports the parent's main
# module in each child, which must not start another CLI run.
if __name__ == "__main__":
    main()
