# Maximum duration: sandboxes may not be launched, or extended, for longer than
# data.max_duration_minutes. Production environments are left alone unless
# data.include_production is true.
#
# data: {"max_duration_minutes": 480, "include_production": false}
package spacegate.max_duration

import rego.v1

applies if not input.production

applies if data.include_production == true

deny contains msg if {
	input.action in {"launch", "extend"}
	applies
	is_number(input.duration_minutes)
	input.duration_minutes > data.max_duration_minutes
	msg := sprintf(
		"Environments in space %s may run at most %d minutes; %d minutes were asked.",
		[input.space, data.max_duration_minutes, input.duration_minutes],
	)
}
