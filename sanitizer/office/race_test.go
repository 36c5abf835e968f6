//go:build race

package office

// raceEnabled: the WebAssembly renderer runs too slowly under the race
// detector for an end-to-end test within the engine's deadline.
const raceEnabled = true
