"""Alert rules, alerts, webhook subscriptions and their deliveries, by API.

- ``/v1/alert-rules``: CRUD (POST creates, with a generated id when none is given;
  PUT creates or replaces; DELETE removes). A ``crisis_terms`` query is parsed
  with Clarion's query parser: a syntax error is a 422 naming the position.
- ``/v1/alerts``: the alerts raised, most recently updated first, with evidence.
- ``/v1/webhooks``: CRUD of subscriptions. The secret is write-only: generated
  when absent and shown once, in the answer to the request that set it. The URL
  must be http(s); an IP literal the SSRF guard refuses is a 422, and every
  delivery is checked again when it connects (host names included).
- ``/v1/webhooks/{id}/deliveries``: the delivery log; ``.../{delivery_id}/replay``
  sends a delivery again (same event id, same bytes).

Access (``service._auth``): alert rules and alerts are brand data (read / write
scope; a key limited to brands sees only its brands' rules and alerts, and gets 404
for any other, as for one that does not exist); webhooks change where Clarion sends
data, so every webhook route needs ``admin`` on a key for every brand.
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import JSONResponse

from crawlers import AddressPolicy
from enrichment import QuerySyntaxError, parse_query
from search import AlertRule, AlertStore, WebhookSubscription, alert_store
from service._alerting import Alerting
from service._auth import Admin, Principal, Reader, Writer
from service._deps import RuntimeDep
from service._problems import problem
from service._runtime import Runtime
from service._schemas_alerts import (
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRulesPublic,
    AlertsPublic,
    DeliveriesPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
)

__all__ = ["alerts_router", "webhooks_router"]

alerts_router = APIRouter(prefix="/v1", tags=["alerts"])
webhooks_router = APIRouter(prefix="/v1", tags=["webhooks"])

# Bytes of randomness in a generated secret (URL-safe base64: 43 characters).
SECRET_BYTES = 32
MAX_LIST = 200


def _alerts(runtime: Runtime) -> AlertStore:
    return alert_store(runtime.store)


def _alerting(runtime: Runtime) -> Alerting:
    if runtime.alerting is None:
        raise HTTPException(503, "alerting is not running")
    return runtime.alerting


# --- alert rules -----------------------------------------------------------------------


async def _checked_rule(body: AlertRuleCreate, runtime: Runtime) -> JSONResponse | None:
    """A 422 problem when the rule names no known brand or its query does not parse."""
    if body.query and body.query.strip():
        try:
            parse_query(body.query)
        except QuerySyntaxError as exc:
            error = {"field": "body.query", "message": str(exc), "position": exc.position}
            return problem(422, "Invalid request", str(exc), errors=[error])
    if await runtime.store.get_brand(body.brand_id) is None:
        message = f"no brand {body.brand_id!r}"
        return problem(
            422, "Invalid request", message, errors=[{"field": "body.brand_id", "message": message}]
        )
    return None


async def _visible_rule(runtime: Runtime, rule_id: str, principal: Principal) -> AlertRule:
    """The rule, or 404 when there is none or it is of a brand the key may not see."""
    rule = await _alerts(runtime).get_alert_rule(rule_id)
    if rule is None or not principal.sees(rule.brand_id):
        raise HTTPException(404, f"no alert rule {rule_id!r}")
    return rule


@alerts_router.get("/alert-rules", response_model=AlertRulesPublic)
async def list_rules(runtime: RuntimeDep, principal: Reader) -> AlertRulesPublic:
    rules = await _alerts(runtime).list_alert_rules()
    return AlertRulesPublic(
        items=[AlertRulePublic.of(r) for r in rules if principal.sees(r.brand_id)]
    )


@alerts_router.get("/alert-rules/{rule_id}", response_model=AlertRulePublic)
async def get_rule(rule_id: str, runtime: RuntimeDep, principal: Reader) -> AlertRulePublic:
    return AlertRulePublic.of(await _visible_rule(runtime, rule_id, principal))


@alerts_router.post("/alert-rules", status_code=201, response_model=None)
async def create_rule(body: AlertRuleCreate, runtime: RuntimeDep, principal: Writer) -> Any:
    principal.require_brand(body.brand_id)
    refused = await _checked_rule(body, runtime)
    if refused is not None:
        return refused
    store = _alerts(runtime)
    rule_id = body.id or uuid.uuid4().hex[:12]
    if await store.get_alert_rule(rule_id) is not None:
        raise HTTPException(409, f"alert rule {rule_id!r} exists; PUT replaces it")
    rule = body.to_rule(rule_id)
    await store.put_alert_rule(rule)
    return AlertRulePublic.of(rule)


@alerts_router.put("/alert-rules/{rule_id}", response_model=None)
async def put_rule(
    rule_id: str, body: AlertRuleCreate, runtime: RuntimeDep, principal: Writer
) -> Any:
    if body.id is not None and body.id != rule_id:
        raise HTTPException(422, f"body id {body.id!r} differs from the path's {rule_id!r}")
    principal.require_brand(body.brand_id)
    existing = await _alerts(runtime).get_alert_rule(rule_id)
    if existing is not None and not principal.sees(existing.brand_id):
        raise HTTPException(404, f"no alert rule {rule_id!r}")  # another client's rule
    refused = await _checked_rule(body, runtime)
    if refused is not None:
        return refused
    rule = body.to_rule(rule_id)
    await _alerts(runtime).put_alert_rule(rule)
    return AlertRulePublic.of(rule)


@alerts_router.delete("/alert-rules/{rule_id}", status_code=204, response_class=Response)
async def delete_rule(rule_id: str, runtime: RuntimeDep, principal: Writer) -> Response:
    await _visible_rule(runtime, rule_id, principal)
    if not await _alerts(runtime).delete_alert_rule(rule_id):
        raise HTTPException(404, f"no alert rule {rule_id!r}")
    return Response(status_code=204)


# --- alerts ----------------------------------------------------------------------------


@alerts_router.get("/alerts", response_model=AlertsPublic)
async def list_alerts(
    runtime: RuntimeDep,
    principal: Reader,
    brand: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50,
) -> AlertsPublic:
    """Alerts, most recently updated first, each with its evidence (for a key limited
    to brands, without ``brand``: the alerts of those brands)."""
    store = _alerts(runtime)
    if brand is not None:
        principal.require_brand(brand)
    if brand is not None or principal.brands is None:
        found = await store.list_alerts(brand_id=brand, limit=limit)
    else:  # each visible brand's newest, merged in the store's order
        found = [
            a
            for b in sorted(principal.brands)
            for a in await store.list_alerts(brand_id=b, limit=limit)
        ]
        found.sort(key=lambda a: (a.updated_at, a.id), reverse=True)
        found = found[:limit]
    return AlertsPublic(items=[AlertPublic.of(a) for a in found])


@alerts_router.get("/alerts/{alert_id}", response_model=AlertPublic)
async def get_alert(alert_id: str, runtime: RuntimeDep, principal: Reader) -> AlertPublic:
    alert = await _alerts(runtime).get_alert(alert_id)
    if alert is None or not principal.sees(alert.brand_id):
        raise HTTPException(404, f"no alert {alert_id!r}")
    return AlertPublic.of(alert)


# --- webhooks ----------------------------------------------------------------------------


def _refused_address(url: str, runtime: Runtime) -> str | None:
    """Why the URL's host, when it is an IP literal, is refused by the SSRF guard."""
    settings = runtime.settings
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a host name: checked when each delivery connects
    if not settings.block_private_addresses:
        return None
    reason = AddressPolicy.from_cidrs(settings.allow_networks).blocked_reason(address)
    return None if reason is None else f"{host} is a {reason} address"


def _webhook(
    body: WebhookCreate, *, hook_id: str, secret: str, created: datetime
) -> WebhookSubscription:
    return WebhookSubscription(
        id=hook_id,
        url=body.url,
        secret=secret,
        event_types=tuple(dict.fromkeys(body.event_types)),
        brand_ids=tuple(dict.fromkeys(body.brand_ids)),
        enabled=body.enabled,
        format=body.format,
        created_at=created,
    )


def _url_problem(body: WebhookCreate, runtime: Runtime) -> JSONResponse | None:
    reason = _refused_address(body.url, runtime)
    if reason is None:
        return None
    message = f"webhook URL refused: {reason} (see CLARION_ALLOW_NETWORKS)"
    return problem(
        422, "Invalid request", message, errors=[{"field": "body.url", "message": message}]
    )


@webhooks_router.get("/webhooks", response_model=WebhooksPublic)
async def list_webhooks(runtime: RuntimeDep, principal: Admin) -> WebhooksPublic:
    hooks = await _alerts(runtime).list_webhooks()
    return WebhooksPublic(items=[WebhookPublic.of(h) for h in hooks])


@webhooks_router.post("/webhooks", status_code=201, response_model=None)
async def create_webhook(body: WebhookCreate, runtime: RuntimeDep, principal: Admin) -> Any:
    """Subscribe; the answer shows the secret (generated when absent) this once."""
    refused = _url_problem(body, runtime)
    if refused is not None:
        return refused
    secret = body.secret or secrets.token_urlsafe(SECRET_BYTES)
    hook = _webhook(body, hook_id=uuid.uuid4().hex, secret=secret, created=datetime.now(UTC))
    await _alerts(runtime).put_webhook(hook)
    return WebhookCreated(**WebhookPublic.of(hook).model_dump(), secret=secret)


@webhooks_router.get("/webhooks/{hook_id}", response_model=WebhookPublic)
async def get_webhook(hook_id: str, runtime: RuntimeDep, principal: Admin) -> WebhookPublic:
    hook = await _alerts(runtime).get_webhook(hook_id)
    if hook is None:
        raise HTTPException(404, f"no webhook {hook_id!r}")
    return WebhookPublic.of(hook)


@webhooks_router.put("/webhooks/{hook_id}", response_model=None)
async def put_webhook(
    hook_id: str, body: WebhookCreate, runtime: RuntimeDep, principal: Admin
) -> Any:
    """Replace a subscription; without ``secret`` it keeps its secret (not shown)."""
    store = _alerts(runtime)
    old = await store.get_webhook(hook_id)
    if old is None:
        raise HTTPException(404, f"no webhook {hook_id!r}")
    refused = _url_problem(body, runtime)
    if refused is not None:
        return refused
    hook = _webhook(body, hook_id=hook_id, secret=body.secret or old.secret, created=old.created_at)
    await store.put_webhook(hook)
    if body.secret:
        return WebhookCreated(**WebhookPublic.of(hook).model_dump(), secret=body.secret)
    return WebhookPublic.of(hook)


@webhooks_router.delete("/webhooks/{hook_id}", status_code=204, response_class=Response)
async def delete_webhook(hook_id: str, runtime: RuntimeDep, principal: Admin) -> Response:
    """Unsubscribe; pending deliveries are dead-lettered when their turn comes."""
    if not await _alerts(runtime).delete_webhook(hook_id):
        raise HTTPException(404, f"no webhook {hook_id!r}")
    return Response(status_code=204)


@webhooks_router.get("/webhooks/{hook_id}/deliveries", response_model=DeliveriesPublic)
async def list_deliveries(
    hook_id: str,
    runtime: RuntimeDep,
    principal: Admin,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50,
) -> DeliveriesPublic:
    """The subscription's deliveries, newest first, each with its attempts
    (time, status code or error class, latency)."""
    store = _alerts(runtime)
    if await store.get_webhook(hook_id) is None:
        raise HTTPException(404, f"no webhook {hook_id!r}")
    found = await store.deliveries(hook_id, limit=limit)
    return DeliveriesPublic(items=[DeliveryPublic.of(d, await store.attempts(d.id)) for d in found])


@webhooks_router.post(
    "/webhooks/{hook_id}/deliveries/{delivery_id}/replay", response_model=DeliveryPublic
)
async def replay_delivery(
    hook_id: str, delivery_id: str, runtime: RuntimeDep, principal: Admin
) -> DeliveryPublic:
    """Send a delivery again (delivered or dead-lettered): same event id, same body,
    a fresh attempt budget; its log is kept."""
    store = _alerts(runtime)
    delivery = await store.get_delivery(delivery_id)
    if delivery is None or delivery.subscription_id != hook_id:
        raise HTTPException(404, f"no delivery {delivery_id!r} for webhook {hook_id!r}")
    again = await _alerting(runtime).worker.replay(delivery)
    return DeliveryPublic.of(again, await store.attempts(delivery_id))
