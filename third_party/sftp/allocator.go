package sftp

import (
	"sync"
)

type allocator struct {
	sync.Mutex
	// map key is the request order
	used map[uint32][][]byte
}

// pages holds the pages no request uses, for every allocator: an idle
// session keeps none, and sessions that transfer in turn share them.
var pages = sync.Pool{New: func() any { return new([maxMsgLength]byte) }}

func newAllocator() *allocator {
	return &allocator{
		used: make(map[uint32][][]byte),
	}
}

// GetPage returns a previously allocated and unused []byte or create a new one.
// The slice have a fixed size = maxMsgLength, this value is suitable for both
// receiving new packets and reading the files to serve
func (a *allocator) GetPage(requestOrderID uint32) []byte {
	result := pages.Get().(*[maxMsgLength]byte)[:]

	a.Lock()
	defer a.Unlock()
	// put result in used pages
	a.used[requestOrderID] = append(a.used[requestOrderID], result)

	return result
}

// ReleasePages marks unused all pages in use for the given requestID
func (a *allocator) ReleasePages(requestOrderID uint32) {
	a.Lock()
	defer a.Unlock()

	for _, p := range a.used[requestOrderID] {
		pages.Put((*[maxMsgLength]byte)(p))
	}
	delete(a.used, requestOrderID)
}

// Free removes all the used and available pages.
// Call this method when the allocator is not needed anymore
func (a *allocator) Free() {
	a.Lock()
	defer a.Unlock()

	a.used = make(map[uint32][][]byte)
}

func (a *allocator) countUsedPages() int {
	a.Lock()
	defer a.Unlock()

	num := 0
	for _, p := range a.used {
		num += len(p)
	}
	return num
}

func (a *allocator) isRequestOrderIDUsed(requestOrderID uint32) bool {
	a.Lock()
	defer a.Unlock()

	_, ok := a.used[requestOrderID]
	return ok
}
