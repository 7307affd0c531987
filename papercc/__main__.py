"""`python -m papercc` runs the command line."""

from papercc.compiler.cli.main import main

main()
