module cdccheck.test/gocorpus

go 1.19
