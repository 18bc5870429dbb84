"""A webhook receiver for trying wijkdeel's notifications locally (pip install standardwebhooks).

    python examples/webhook_receiver.py --port 9000 --secret whsec_…

It verifies every delivery with the subscription's secret, drops repeats by webhook-id, and
prints one line per event. The service must allow a loopback target for this:
`WIJKDEEL_WEBHOOK_ALLOW_PRIVATE=1` (development only; refused in production).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def handler_for(webhook: Webhook) -> type[BaseHTTPRequestHandler]:
    seen: set[str] = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                event = webhook.verify(body, dict(self.headers.items()))
            except WebhookVerificationError:
                self.send_response(400)
                self.end_headers()
                return
            delivery = self.headers["webhook-id"]
            if delivery not in seen:  # retries keep their webhook-id
                seen.add(delivery)
                print(json.dumps({"type": event["type"], "data": event["data"]}), flush=True)
            self.send_response(204)  # any 2xx is delivery; answer fast
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the subscription's whsec_… secret")
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), handler_for(Webhook(options.secret)))
    print(f"receiving on http://127.0.0.1:{options.port}/webhooks/wijkdeel", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
