import sys


def test_writes_bytes_that_are_not_utf8():
    sys.stdout.buffer.write(b"raw \xff\xfe bytes\n")
    sys.stdout.flush()


def test_after_the_bytes_still_passes():
    print("still fine")


def test_long_lines():
    print("x" * 40_000)
    print("\u00e9" * 20_000)  # two bytes a character: cuts must fall between characters
    print("\u20ac" * 9_000, file=sys.stderr)


def test_many_lines():
    for i in range(2_000):
        print(f"line {i}")


def test_output_then_failure():
    print("about to fail")
    assert False


def test_uncaptured_long_lines(capfd):
    with capfd.disabled():  # straight to the terminal (the runner's pipe), as a test may choose
        out = sys.stdout.buffer
        out.write(b"pipe " + "\u00fc".encode() * 12_000 + b"\n")
        out.write(b"pipe raw \xff\xfe " + b"y" * 20_000 + b"\n")
        out.flush()
