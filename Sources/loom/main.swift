// loom: the command-line entry point (argument parsing and wiring only).
print("loom")
