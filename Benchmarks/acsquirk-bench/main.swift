print("acsquirk-bench: not yet")
