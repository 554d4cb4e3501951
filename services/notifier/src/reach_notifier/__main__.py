from reach_runtime.service import main

from reach_notifier.bootstrap import bootstrap

if __name__ == "__main__":
    main(bootstrap)
