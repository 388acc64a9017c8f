from promptctl.cli.main import run

run()
