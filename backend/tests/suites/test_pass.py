import sys


def test_one():
    print("hello from stdout")
    print("hello from stderr", file=sys.stderr)


def test_two():
    assert 1 + 1 == 2
