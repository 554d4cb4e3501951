pytest_plugins = ["reach_runtime.testing"]
