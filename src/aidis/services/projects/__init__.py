"""Projects: the catalog (create, find, rename, archive, delete; the sentinel protected), creation
rules, merges, workspace identities (roots and repositories) and the workspace resolver that decides
which project a folder belongs to — one place for every surface.

May call: `text` and the kernel (`base`, `caller`). Never sessions or memory: they call this.
"""

from aidis.services.projects.catalog import ProjectService, find_project
from aidis.services.projects.resolver import Attribution, WorkspaceResolver
from aidis.services.projects.roots import ProjectWorkspaceService

__all__ = ["Attribution", "ProjectService", "ProjectWorkspaceService", "WorkspaceResolver", "find_project"]
