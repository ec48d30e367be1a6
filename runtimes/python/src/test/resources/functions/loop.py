import os

TICKS = os.path.join(os.environ["KUBELESS_INSTALL_VOLUME"], "ticks")


def handler(event, context):
    if event["data"] != b"spin":
        return "ok"
    n = 0
    while True:  # runs until the runtime stops it
        n += 1
        if n % 100000 == 0:
            with open(TICKS, "w") as ticks:
                ticks.write(str(n))
