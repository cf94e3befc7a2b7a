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
from .users import FollowerNotice, NotificationKind, ProjectFollow, User

__all__ = [
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
    "NotificationKind",
    "FollowerNotice",
    "ProjectFollow",
]
