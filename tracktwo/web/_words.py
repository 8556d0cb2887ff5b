"""Words from tracktwo's data files that pages show in the reader's language.

Kinds, areas and channels are defined in the taxonomy's TOML files, and statuses and roles in
code; templates show them through ``_()``. They are marked here so that catalogue extraction
finds them, and a test checks these lists still match the data files.
"""

from tracktwo._i18n import N_

__all__ = [
    "AREA_LABELS",
    "CHANNELS",
    "DASHBOARD_WORDS",
    "ERROR_WORDS",
    "KIND_LABELS",
    "OTHER_WORDS",
]

KIND_LABELS = (
    N_("City or municipality"), N_("Province or state"), N_("University"),
    N_("Academy of sciences or research institute"), N_("School"), N_("Business"),
    N_("Chamber of commerce or business association"), N_("NGO or civil-society organisation"),
    N_("Diaspora association"), N_("Individual expert or professional"),
    N_("Hospital or health agency"), N_("Farmer cooperative or farming organisation"),
    N_("Media"), N_("Religious body"), N_("Cultural institution"),
)  # fmt: skip
AREA_LABELS = (
    N_("Agriculture and agricultural commercialisation"),
    N_("Business, entrepreneurship and marketing"), N_("Public health and its management"),
    N_("Education and capacity building"), N_("Science and technology"),
    N_("Culture, religion and exchange"), N_("Environment"),
    N_("Development and humanitarian aid"), N_("Security and defence"),
    N_("Governance, law and rights"),
)  # fmt: skip
# shown with "_" as a space
CHANNELS = (
    N_("sister city"), N_("academic partnership"), N_("exchange programme"),
    N_("research collaboration"), N_("business partnership"), N_("diaspora mentoring"),
    N_("health partnership"), N_("cultural exchange"), N_("agricultural cooperation"),
    N_("capacity building"), N_("official cooperation"), N_("other"),
)  # fmt: skip
OTHER_WORDS = (
    # statuses of profiles, requests, flags and ties
    N_("pending"), N_("approved"), N_("rejected"), N_("deleted"), N_("accepted"),
    N_("declined"), N_("withdrawn"), N_("expired"), N_("open"), N_("upheld"), N_("dismissed"),
    N_("cleared"), N_("active"), N_("dormant"), N_("proposed"), N_("ended"),
    # roles
    N_("viewer"), N_("editor"), N_("moderator"), N_("admin"),
    # sensitivity of an area
    N_("neutral"), N_("sensitive"), N_("political"),
    # activities
    N_("visit"), N_("exchange"), N_("joint project"), N_("agreement"), N_("event"),
    # stances
    N_("hostile"), N_("aligned"),
    # moderation actions
    N_("approve profile"), N_("reject profile"), N_("flag upheld"), N_("flag dismissed"),
    N_("flag cleared"),
)  # fmt: skip
# the dashboard's: tracks, the pulse's frequencies, the vote series, score components
DASHBOARD_WORDS = (
    N_("official"), N_("people"), N_("mixed"), N_("year"), N_("quarter"), N_("month"),
    # the tracks' labels (tracktwo.taxonomy.TRACK_LABELS): cities and provinces are "local"
    N_("local government"), N_("people-to-people"),
    N_("UN vote agreement"), N_("UN ideal-point distance"),
    N_("compatible kinds"), N_("one offers what the other needs"),
    N_("similar descriptions"), N_("similar population"), N_("distance"),
    N_("same climate band"), N_("both capitals"), N_("partner is a capital"),
    N_("partner's existing ties"), N_("partners in common in third countries"),
    N_("ties with the other country"), N_("partner works in neutral areas"),
    N_("diaspora nearby"), N_("capacity penalty"),
)  # fmt: skip
# error codes (shown with "_" as a space) and the fixed messages of the error page
ERROR_WORDS = (
    N_("invalid input"), N_("not found"), N_("method not allowed"), N_("conflict"),
    N_("invalid request"), N_("unavailable"), N_("internal"), N_("bad token"),
    N_("login required"), N_("csrf"), N_("forbidden"), N_("unconfirmed"), N_("not approved"),
    N_("too many requests"), N_("too many attempts"), N_("Not Found"),
    N_("Method Not Allowed"), N_("an unexpected error happened; it has been logged"),
    N_("the form's CSRF token is missing or wrong: reload the page"),
)  # fmt: skip
