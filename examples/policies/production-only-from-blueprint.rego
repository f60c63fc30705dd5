# Production only from named blueprints: production environments may be launched only
# from the blueprints listed in data.production_blueprints, each
# {"name": ..., "repository": ...} (leave "repository" out to accept any repository).
#
# data: {"production_blueprints": [{"name": "web-app", "repository": "platform"}]}
package spacegate.production_blueprints

import rego.v1

allowed if {
	some entry in data.production_blueprints
	entry.name == input.blueprint.name
	object.get(entry, "repository", input.blueprint.repository) == input.blueprint.repository
}

deny contains msg if {
	input.action == "launch"
	input.production
	not allowed
	names := [entry.name | some entry in data.production_blueprints]
	msg := sprintf(
		"Production environments in space %s can only be launched from %v; %v is not one of them.",
		[input.space, names, input.blueprint.name],
	)
}
