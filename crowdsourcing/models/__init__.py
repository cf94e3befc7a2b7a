from .implementation import (
    IMPLEMENTABLE_STATES,
    ImplementationPhoto,
    ImplementationStatus,
    ImplementationUpdate,
)
from .projects import (
    Category,
    Department,
    District,
    Project,
    ProjectStage,
    Question,
    StageKind,
)
from .proposals import (
    Comment,
    CommentState,
    Flag,
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    Proposal,
    ProposalState,
    Rating,
)
from .users import User

__all__ = [
    "IMPLEMENTABLE_STATES",
    "ImplementationPhoto",
    "ImplementationStatus",
    "ImplementationUpdate",
    "Category",
    "Comment",
    "CommentState",
    "Department",
    "District",
    "Flag",
    "ModerationAction",
    "ModerationDecision",
    "ModerationReason",
    "Project",
    "ProjectStage",
    "Proposal",
    "ProposalState",
    "Question",
    "Rating",
    "StageKind",
    "User",
]
