#!/usr/bin/env python3
"""Wrap each request in events/<function>/requests/ into an API Gateway HTTP API (v2) event.

events/<function>/requests/<name>.json (or .txt for a deliberately malformed body) becomes
events/<function>/<name>.json, usable by `cargo lambda invoke --data-file`, `sam local invoke -e`,
`twin invoke` and the Rust tests (which also check that every event matches its request file).
Run: python3 scripts/gen_events.py
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROUTES = {
    "time_to_charge": "/v1/time-to-charge",
    "range_remaining": "/v1/range-remaining",
    "trip_planning": "/v1/trip-plans",
    "depot_simulation": "/v1/depot-simulations",
}


def event(path: str, body: str) -> dict:
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "localhost"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "ev-twin-events"},
            "requestId": "ev-twin-event",
            "routeKey": f"POST {path}",
            "stage": "$default",
            "time": "04/Dec/2026:00:00:00 +0000",
            "timeEpoch": 1796342400000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def main() -> None:
    for function, path in ROUTES.items():
        req_dir = ROOT / "events" / function / "requests"
        if not req_dir.is_dir():
            continue
        for req in sorted(req_dir.iterdir()):
            if req.suffix == ".json":
                body = json.dumps(json.loads(req.read_text()), separators=(",", ":"))
            elif req.suffix == ".txt":
                body = req.read_text()
            else:
                continue
            out = ROOT / "events" / function / f"{req.stem}.json"
            out.write_text(json.dumps(event(path, body), indent=2) + "\n")


if __name__ == "__main__":
    main()
