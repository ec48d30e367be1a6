import asyncio

import bottle


async def handler(event, context):
    """An async handler's return values get the same treatment."""
    await asyncio.sleep(0)
    if event["extensions"]["request"].query.kind == "abort":
        bottle.abort(401, "who are you")
    return {"async": True}
