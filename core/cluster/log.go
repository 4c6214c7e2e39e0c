package cluster

import "go.uber.org/zap"

// quietLogger keeps the etcd client's own retries and reconnects off the
// user's terminal: nixcsh reports what failed in its own words.
func quietLogger() *zap.Logger { return zap.NewNop() }
