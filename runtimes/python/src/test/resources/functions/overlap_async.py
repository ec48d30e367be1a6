import asyncio
import time


async def handler(event, context):
    start = time.time()
    await asyncio.sleep(1)
    return f"{int(start * 1000)} {int(time.time() * 1000)}"
