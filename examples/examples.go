// Package examples holds the files shipped with Liaison as examples and
// embedded in the binary: the console's demo configuration and the tour
// script. It holds data only, no behaviour.
package examples

import _ "embed" // for go:embed

// ConsoleYAML is console.yaml: the demo configuration `liaison console`
// uses without --config, an ordinary liaison.yaml plus a console: section.
//
//go:embed console.yaml
var ConsoleYAML []byte

// Tour is tour.txt: a console script that walks through what Liaison does,
// run with `liaison console < examples/tour.txt`.
//
//go:embed tour.txt
var Tour string
