"""Who is calling and what they may do: bearer tokens (JWT) and API keys, mapped to roles.

Every API route declares the roles it admits with `allow(...)` (or `public(...)` with the
reason it needs no token); `check_routes` refuses to build an app with a route that declares
neither, so a new route cannot skip authorisation.

Tokens are JWTs signed by the brokerage's identity provider: signature, issuer, audience and
expiry are verified; roles come from the `AUTH_ROLES_CLAIM` claim (default `roles`) and an
advisor's own id from `AUTH_ADVISOR_CLAIM` (default `advisor_id`, else the subject). Upstream
systems may use an API key instead (`X-API-Key`); only its SHA-256 is configured.

With `AUTH_MODE=off` (allowed only for REACH_ENV local and test, where it is the default)
every caller is an operations admin named by the `X-Reach-Actor` header (or `local`).
"""

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

ACTOR_HEADER = "X-Reach-Actor"
LOCAL_ACTOR = "local"


class Role(StrEnum):
    """The people and systems that call Reach (QUALITY.md, Security)."""

    ops_admin = "ops_admin"  # runs the platform: everything, dead letters, the global pause
    campaign_editor = "campaign_editor"  # writes segments, scripts and campaigns
    compliance = "compliance"  # approves campaigns and scripts, the catalogue, reads the audit
    advisor = "advisor"  # their own clients' portraits and call tasks
    bi_reader = "bi_reader"  # results, read only
    upstream = "upstream"  # systems: the app backend reading inboxes, for example


STAFF = (Role.ops_admin, Role.campaign_editor, Role.compliance)
ROLE_NAMES = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    advisor_id: str | None = None
    via: str = "token"  # token, api_key, local

    @property
    def is_advisor_only(self) -> bool:
        """An advisor with no wider role: sees their own clients only."""
        return Role.advisor in self.roles and not self.roles & {*STAFF, Role.bi_reader}


@dataclass
class Authenticator:
    """Verifies a bearer token or an API key; built once per service from its settings."""

    mode: str = "off"
    key: Any = None  # PEM public key, or the shared secret for HS* algorithms
    algorithms: list[str] = field(default_factory=lambda: ["RS256"])
    issuer: str | None = None
    audience: str | None = None
    roles_claim: str = "roles"
    advisor_claim: str = "advisor_id"
    leeway_s: int = 30
    api_keys: dict[str, tuple[str, frozenset[Role]]] = field(default_factory=dict)  # sha256 ->

    @classmethod
    def from_settings(cls, settings: Any) -> "Authenticator":
        keys = {
            digest.lower(): (entry["name"], frozenset(Role(r) for r in entry["roles"]))
            for digest, entry in settings.auth_api_keys.items()
        }
        return cls(
            mode="on" if settings.auth_enforced else "off",
            key=settings.auth_jwt_key.get_secret_value() if settings.auth_jwt_key else None,
            algorithms=list(settings.auth_jwt_algorithms),
            issuer=settings.auth_jwt_issuer,
            audience=settings.auth_jwt_audience,
            roles_claim=settings.auth_roles_claim,
            advisor_claim=settings.auth_advisor_claim,
            api_keys=keys,
        )

    def from_token(self, token: str) -> Principal:
        if self.key is None:
            raise _unauthorised("bearer tokens are not accepted here: no AUTH_JWT_KEY")
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise _unauthorised(f"invalid bearer token: {error}") from error
        raw = _claim(claims, self.roles_claim) or []
        names = [raw] if isinstance(raw, str) else raw
        roles = frozenset(Role(r) for r in names if r in ROLE_NAMES)  # others are not Reach's
        advisor = _claim(claims, self.advisor_claim) or claims["sub"]
        return Principal(subject=str(claims["sub"]), roles=roles, advisor_id=str(advisor))

    def from_api_key(self, key: str) -> Principal:
        digest = hashlib.sha256(key.encode()).hexdigest()
        for known, (name, roles) in self.api_keys.items():
            if hmac.compare_digest(known, digest):
                return Principal(subject=name, roles=roles, via="api_key")
        raise _unauthorised("unknown API key")


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by dotted path (`realm_access.roles` for Keycloak, for example)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=[{"loc": ["header", "Authorization"], "msg": reason}],
        headers={"WWW-Authenticate": "Bearer"},
    )


_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="For upstream systems")


async def authenticate(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
    actor: Annotated[
        str | None,
        Header(
            alias=ACTOR_HEADER,
            pattern=r"^[A-Za-z0-9_.@-]{1,128}$",
            description="who acts, with AUTH_MODE=off (ignored when authentication is on)",
        ),
    ] = None,
) -> Principal:
    """The caller, from a bearer token or an API key; 401 without a valid one."""
    authenticator: Authenticator = request.app.state.runtime.authenticator
    if authenticator.mode == "off":
        name = (actor or "").strip() or LOCAL_ACTOR
        return Principal(subject=name, roles=frozenset(Role), advisor_id=name, via="local")
    if bearer is not None:
        return authenticator.from_token(bearer.credentials)
    if api_key:
        return authenticator.from_api_key(api_key)
    raise _unauthorised("sign in: send Authorization: Bearer <token> or X-API-Key")


class Allow:
    """A route's admitted roles, as a dependency that answers with the caller (403 otherwise)."""

    def __init__(self, roles: Iterable[Role]) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.roles & self.roles:
            wanted = ", ".join(sorted(self.roles))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=[{"loc": ["header", "Authorization"], "msg": f"needs a role of: {wanted}"}],
            )
        return principal


class Public:
    """A route that needs no token, and why (health probes, a provider's signed callback)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def __call__(self) -> None:
        return None


def allow(*roles: Role) -> Any:
    """`dependencies=[allow(Role.bi_reader, …)]` on a router or a route."""
    return Depends(Allow(roles))


def caller(*roles: Role) -> Any:
    """`principal: caller(Role.advisor, …)` in a route's signature: admits and names the caller."""
    return Annotated[Principal, Depends(Allow(roles))]


def actor(*roles: Role) -> Any:
    """`editor: actor(Role.campaign_editor, …)`: admits the roles and names who acts (the subject)."""
    admit = Allow(roles)

    async def subject(principal: Annotated[Principal, Depends(admit)]) -> str:
        return principal.subject

    # No postponed annotations in this module: `admit` must resolve when FastAPI reads them.
    return Annotated[str, Depends(subject)]


def public(reason: str) -> Any:
    return Depends(Public(reason))


DOCS_PATHS = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


def api_routes(app: FastAPI) -> list[Any]:
    """Every API route as served, with the dependencies of the routers that include it.

    FastAPI 0.165 keeps included routers lazy (`app.routes` holds them unexpanded); its
    `iter_route_contexts` yields each effective route, with `path`, `methods`, `dependant`."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are already flattened
        contexts: Any = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    return [c for c in contexts if hasattr(c, "dependant") and c.path not in DOCS_PATHS]


def admitted(route: APIRoute) -> frozenset[Role] | Public | None:
    """Who may call the route: the roles every `allow` on it (router and route) admits, or its
    `public` declaration; None when it declares neither."""
    roles: frozenset[Role] | None = None
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Public):
            return dependant.call
        if isinstance(dependant.call, Allow):
            roles = dependant.call.roles if roles is None else roles & dependant.call.roles
        stack.extend(dependant.dependencies)
    return roles


def check_routes(app: FastAPI) -> None:
    """Refuse an app with an API route that declares neither its roles nor why it is public."""
    missing = [
        f"{sorted(route.methods)} {route.path}"
        for route in api_routes(app)
        if admitted(route) is None
    ]
    if missing:
        raise RuntimeError(f"routes without allow(...) or public(...): {', '.join(missing)}")
