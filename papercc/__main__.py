"""`python -m papercc` runs the command line."""

from papercc.compiler.cli import main

main()
