import os

LINES = int(os.environ.get("LITMUS_CHATTY_LINES", "3000"))


def test_chatty():
    for i in range(LINES):
        print(f"line {i:06d} " + "x" * 60)
