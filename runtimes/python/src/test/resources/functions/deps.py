from kubeless_dep import shout


def handler(event, context):
    return shout("deps")
