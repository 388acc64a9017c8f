from promptctl.cli.quick import run

if __name__ == "__main__":  # also imported by worker processes, which must not run the CLI
    run()
