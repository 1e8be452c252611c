"""The ceiling: a bare ASGI endpoint answering every request with a fixed JSON body.

Served by the same server and worker count as the services (`projectconnect.servers`),
with a body as long as the measured response (BENCH_BODY_BYTES), it is the most any
endpoint on that server can do on this machine; the services' figures are ratios of it.

    python -m bench.ceiling --server uvicorn --workers 2 --port 8090 --body-bytes 2400
"""

from __future__ import annotations

import argparse
import os

from starlette.types import Receive, Scope, Send

from projectconnect.servers import Server, run


def body_of(size: int) -> bytes:
    """A JSON document of exactly `size` bytes (at least 10)."""
    frame = b'{"pad":""}'
    return frame[:-2] + b"x" * max(0, size - len(frame)) + frame[-2:]


def app() -> object:
    """The ASGI application factory the servers load.

    `/bytes/N` answers N bytes; any other path BENCH_BODY_BYTES.
    """
    default = int(os.environ.get("BENCH_BODY_BYTES", "1024"))
    messages: dict[int, tuple[dict[str, object], dict[str, object]]] = {}

    def response(size: int) -> tuple[dict[str, object], dict[str, object]]:
        if size not in messages:
            body = body_of(size)
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            messages[size] = (
                {"type": "http.response.start", "status": 200, "headers": headers},
                {"type": "http.response.body", "body": body},
            )
        return messages[size]

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path: str = scope["path"]
        size = int(path[7:]) if path.startswith("/bytes/") and path[7:].isdigit() else default
        start, finish = response(min(size, 1 << 20))
        await send(start)
        await send(finish)

    return endpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", type=Server, default=Server.uvicorn)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--body-bytes", type=int, default=1024)
    args = parser.parse_args()
    os.environ["BENCH_BODY_BYTES"] = str(args.body_bytes)
    run(
        "bench.ceiling:app",
        server=args.server,
        host=args.host,
        port=args.port,
        workers=args.workers,
    )


if __name__ == "__main__":
    main()
