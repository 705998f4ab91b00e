"""The counters of the aggregate fact tables (DailyFact / MonthlyFact), in column order: no Django import here,
so the query contract can name them before the apps are loaded."""

COUNTERS: tuple[str, ...] = (
    "received",
    "accepted",
    "supplement_requested",
    "refused",
    "withdrawn",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "proc_n",  # resolved dossiers with a measured processing time
    "proc_units",  # their processing time, in thousandths of a working day (summed)
    "allowed_units",  # their statutory time (acceptance → first appointment), thousandths of a working day
    "overdue_in",  # entered the overdue stock that day
    "overdue_out",  # left the overdue stock (closed) that day
    "fees_paid",  # dossiers whose fee was paid (any method)
    "fees_paid_online",
    "fees_online_vnd",
    "results_issued",
    "digitised_dossiers",
    "digitised_results",
    "stored_reused",
    "portal_sent",  # dossiers with at least one status change sent to the national portal
    "portal_synced",  # … every one of them acknowledged
    "rated",
    "rated_satisfied",
    "feedback_received",
    "feedback_handled",
    "feedback_on_time",
    "feedback_rated",
    "feedback_satisfied",
)
# What the pages' breakdown tables and trends sum (queries._FIGURES["table"]): received, the closings, the average
# time, the overdue stock; an index covers them (models.MonthlyFact).
TABLE_COUNTERS: tuple[str, ...] = (
    "received",
    "refused",
    "withdrawn",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "proc_n",
    "proc_units",
    "overdue_in",
    "overdue_out",
)
# The counters that need 64 bits: money and summed durations; the others are int4 counts.
WIDE = frozenset({"proc_units", "allowed_units", "fees_online_vnd"})

# The rollups (models.RollupFact…): the same counters summed over a coarser key, `level` × `member`, without the
# channel (whose received counts get their own columns). Levels, with what `member` holds:
LEVEL_PROVINCE = 0  # member 0: every agency
LEVEL_AGENCY = 1  # member: the agency id
LEVEL_PROCEDURE = 2  # member: the procedure id (every agency offering it)
LEVEL_CHANNEL = 3  # member: CHANNEL_MEMBERS[channel] (the province, one channel)
CHANNEL_MEMBERS: dict[str, int] = {"online": 1, "in_person": 2, "post": 3}
RECEIVED_BY_CHANNEL: tuple[str, ...] = ("received_online", "received_in_person", "received_post")
ROLLUP_COUNTERS: tuple[str, ...] = COUNTERS + RECEIVED_BY_CHANNEL
