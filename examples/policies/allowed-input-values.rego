# Allowed input values: for each input named in data.allowed_inputs, a launch must use
# one of the listed values (whatever the blueprint itself allows).
#
# data: {"allowed_inputs": {"instance_type": ["t3.micro", "t3.small"]}}
package spacegate.allowed_input_values

import rego.v1

deny contains msg if {
	input.action == "launch"
	some name, allowed in data.allowed_inputs
	value := input.inputs[name]
	not value in allowed
	msg := sprintf(
		"Input %s may only be one of %v in space %s; %v was given.",
		[name, allowed, input.space, value],
	)
}
