package rollout_test

import (
	"encoding/json"
	"fmt"

	"github.com/patchkit/patchkit/compliance/rollout"
)

// A rate read from a saved policy may leave either control out; IsSet
// tells an absent value from a given one, IsPercent a share of the targets
// from a count. An error threshold of 0 is set: the first error stops the
// rollout.
func ExampleConcurrency_IsSet() {
	for _, doc := range []string{
		`{"Concurrency": "10%", "ErrorThreshold": "0"}`,
		`{"Concurrency": "25", "ErrorThreshold": "5%"}`,
		`{}`,
	} {
		var rate struct {
			Concurrency    rollout.Concurrency
			ErrorThreshold rollout.ErrorThreshold
		}
		if err := json.Unmarshal([]byte(doc), &rate); err != nil {
			fmt.Println(err)
			return
		}
		c, e := rate.Concurrency, rate.ErrorThreshold
		fmt.Printf("concurrency %q set=%v percent=%v; error threshold %q set=%v percent=%v\n",
			c, c.IsSet(), c.IsPercent(), e, e.IsSet(), e.IsPercent())
	}
	// Output:
	// concurrency "10%" set=true percent=true; error threshold "0" set=true percent=false
	// concurrency "25" set=true percent=false; error threshold "5%" set=true percent=true
	// concurrency "" set=false percent=false; error threshold "" set=false percent=false
}
