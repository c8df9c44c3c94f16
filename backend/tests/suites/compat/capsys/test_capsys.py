import os
import sys


def test_prints_text_sys_capture_holds():
    print("sys text caf\u00e9 \u20ac")
    print("no newline at the end", end="")


def test_writes_bytes_past_sys_capture():
    os.write(1, b"fd raw \xff\xfe bytes\n")  # sys capture does not redirect fd 1: the bytes reach the pipe


def test_writes_stderr():
    print("sys to stderr", file=sys.stderr)


def test_fails():
    assert 1 == 2


def test_with_subtests(subtests):
    for i in range(3):
        with subtests.test(i=i):
            print(f"sys subtest {i}")
            assert i != 1
