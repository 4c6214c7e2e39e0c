package verbs

import "encoding/json"

// jsonValue is a result with no text form of its own: it prints as indented JSON.
type jsonValue struct{ v any }

func (j jsonValue) Text() string {
	b, _ := json.MarshalIndent(j.v, "", "  ")
	return string(b) + "\n"
}

func (j jsonValue) MarshalJSON() ([]byte, error) { return json.Marshal(j.v) }

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }
