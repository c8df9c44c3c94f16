def test_interrupt():
    raise KeyboardInterrupt
