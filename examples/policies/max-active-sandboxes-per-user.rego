# Maximum active sandboxes per user: a user who already has
# data.max_active_sandboxes active sandboxes in the space cannot launch another.
# spacegate puts the count in input.active_sandboxes_of_user (the user's sandboxes in
# this space that have not ended, not counting the one being launched).
#
# data: {"max_active_sandboxes": 3}
package spacegate.max_active_sandboxes

import rego.v1

deny contains msg if {
	input.action == "launch"
	not input.production
	input.active_sandboxes_of_user >= data.max_active_sandboxes
	msg := sprintf(
		"%s already has %d active sandboxes in space %s, the most allowed; end one first.",
		[input.user.email, input.active_sandboxes_of_user, input.space],
	)
}
