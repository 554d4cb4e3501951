from reach_runtime.service import main

from reach_analytics.bootstrap import bootstrap

if __name__ == "__main__":
    main(bootstrap)
