"""Who is acting, and in which capacity: the caller's subject, admitted by role.

Editors write campaigns and scripts; compliance reviews them (maker-checker: never the author)
and owns the catalogue's risk ratings and the global pause; operations admins may do all of
it. With AUTH_MODE=off (local and test) the X-Reach-Actor header names the actor.
"""

from reach_runtime.auth import Role, actor

Editor = actor(Role.campaign_editor, Role.ops_admin)
Compliance = actor(Role.compliance, Role.ops_admin)
Stopper = actor(Role.campaign_editor, Role.compliance, Role.ops_admin)  # pause, end
