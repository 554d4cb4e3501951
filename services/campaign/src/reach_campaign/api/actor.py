"""Who is acting, and in which capacity: the caller's subject, admitted by role.

Editors write campaigns and scripts; compliance reviews them (maker-checker: never the author)
and owns the catalogue's risk ratings; operations admins may do all of it. With AUTH_MODE=off
(local and test) the actor is named by the X-Reach-Actor header, `local` when it is missing.
"""

from typing import Annotated, Any

from fastapi import Depends
from reach_runtime.auth import Allow, Principal, Role


def _acting(*roles: Role) -> Any:
    admit = Allow(roles)

    async def subject(principal: Annotated[Principal, Depends(admit)]) -> str:
        return principal.subject

    return Annotated[str, Depends(subject)]


Editor = _acting(Role.campaign_editor, Role.ops_admin)
Compliance = _acting(Role.compliance, Role.ops_admin)
Stopper = _acting(Role.campaign_editor, Role.compliance, Role.ops_admin)  # pause, end
