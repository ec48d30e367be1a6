import io

import bottle


def numbers():
    yield "one "
    yield ""
    yield "two"


def handler(event, context):
    """Returns the value named by ?kind=."""
    kind = event["extensions"]["request"].query.kind
    if kind == "abort":
        bottle.abort(403, "not yours")
    if kind == "raise-response":
        raise bottle.HTTPResponse("moved", status=302, Location="/elsewhere")
    return {
        "none": lambda: None,
        "str": lambda: "héllo",
        "bytes-text": lambda: "bytes ü".encode(),
        "bytes-binary": lambda: b"\xff\xfe\x00",
        "bytearray": lambda: bytearray(b"array"),
        "dict": lambda: {"a": [1, "b"]},
        "list-of-str": lambda: ["a", "b", "c"],
        "tuple-of-bytes": lambda: (b"x", b"y"),
        "list-of-int": lambda: [1, 2],
        "list-of-dict": lambda: [{"a": 1}],
        "empty-list": lambda: [],
        "int": lambda: 42,
        "zero": lambda: 0,
        "float": lambda: 2.5,
        "bool": lambda: True,
        "generator": numbers,
        "generator-of-int": lambda: (n for n in (1, 2)),
        "file": lambda: io.BytesIO(b"from a file"),
        "response": lambda: bottle.HTTPResponse({"created": 1}, status=201, headers={"X-Id": "7"}),
        "response-text": lambda: bottle.HTTPResponse("made", status=202),
        "response-typed": lambda: bottle.HTTPResponse("<b>hi</b>", status=200,
                                                      headers={"Content-Type": "text/html"}),
        "error": lambda: bottle.HTTPError(404, "no such order"),
        "no-content": lambda: bottle.HTTPResponse(status=204),
        "object": object,
    }[kind]()
