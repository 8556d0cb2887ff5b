"""Open doors: organisations and people register themselves, say what they offer and need,
and ask a partner across the border; moderators keep political instruments out.

Every function takes the registry, and the ``Account`` acting (``None`` when anonymous); the
ones that tell someone take a ``Mailer`` (or ``None`` for the inbox alone). Permission is
checked here, not in the web layer, so the command line and the API obey the same rules:
``NotAllowedError`` for another person's profile or request, an unconfirmed address or an
unapproved profile; ``LimitError`` past a daily limit.
"""

from tracktwo.doors._digest import digest_matches, send_digests
from tracktwo.doors._mail import Mailer, MailSettings
from tracktwo.doors._models import Profile
from tracktwo.doors._moderation import (
    FLAG_OUTCOMES,
    decide_profile,
    flag_profile,
    moderation_log,
    moderation_queue,
    rule_on_flag,
)
from tracktwo.doors._notify import NOTICES, deliver, inbox, mark_read, retry_mail, unread
from tracktwo.doors._privacy import account_details, delete_account, export_account
from tracktwo.doors._profiles import (
    PROFILE_FIELDS,
    add_manager,
    approved_by_country,
    create_profile,
    get_profile,
    my_profiles,
    search_profiles,
    update_profile,
)
from tracktwo.doors._requests import (
    DoorsRules,
    answer_request,
    get_request,
    log_party_activity,
    my_requests,
    send_request,
    withdraw_request,
)
from tracktwo.doors._signup import confirm_email, send_confirmation, set_language, sign_up

__all__ = [
    "FLAG_OUTCOMES",
    "NOTICES",
    "PROFILE_FIELDS",
    "DoorsRules",
    "MailSettings",
    "Mailer",
    "Profile",
    "account_details",
    "add_manager",
    "answer_request",
    "approved_by_country",
    "confirm_email",
    "create_profile",
    "decide_profile",
    "delete_account",
    "deliver",
    "digest_matches",
    "export_account",
    "flag_profile",
    "get_profile",
    "get_request",
    "inbox",
    "log_party_activity",
    "mark_read",
    "moderation_log",
    "moderation_queue",
    "my_profiles",
    "my_requests",
    "retry_mail",
    "rule_on_flag",
    "search_profiles",
    "send_confirmation",
    "send_digests",
    "send_request",
    "set_language",
    "sign_up",
    "unread",
    "update_profile",
    "withdraw_request",
]
