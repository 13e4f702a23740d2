package sftp

import (
	"encoding"
	"sort"
	"sync"
)

// The goal of the packetManager is to keep the outgoing packets in the same
// order as the incoming as is requires by section 7 of the RFC.

type packetManager struct {
	mu          sync.Mutex // guards incoming and outgoing, and orders the sends
	incoming    orderedPackets
	outgoing    orderedPackets
	sender      packetSender // connection object
	working     *sync.WaitGroup
	packetCount uint32
	// it is not nil if the allocator is enabled
	alloc *allocator
}

type packetSender interface {
	sendPacket(encoding.BinaryMarshaler) error
}

func newPktMgr(sender packetSender) *packetManager {
	s := &packetManager{
		incoming: make([]orderedPacket, 0, SftpServerWorkerCount),
		outgoing: make([]orderedPacket, 0, SftpServerWorkerCount),
		sender:   sender,
		working:  &sync.WaitGroup{},
	}
	return s
}

// // packet ordering
func (s *packetManager) newOrderID() uint32 {
	s.packetCount++
	return s.packetCount
}

// returns the next orderID without incrementing it.
// This is used before receiving a new packet, with the allocator enabled, to associate
// the slice allocated for the received packet with the orderID that will be used to mark
// the allocated slices for reuse once the request is served
func (s *packetManager) getNextOrderID() uint32 {
	return s.packetCount + 1
}

type orderedRequest struct {
	requestPacket
	orderid uint32
}

func (s *packetManager) newOrderedRequest(p requestPacket) orderedRequest {
	return orderedRequest{requestPacket: p, orderid: s.newOrderID()}
}
func (p orderedRequest) orderID() uint32 { return p.orderid }

type orderedResponse struct {
	responsePacket
	orderid uint32
}

func (s *packetManager) newOrderedResponse(p responsePacket, id uint32,
) orderedResponse {
	return orderedResponse{responsePacket: p, orderid: id}
}
func (p orderedResponse) orderID() uint32 { return p.orderid }

type orderedPacket interface {
	id() uint32
	orderID() uint32
}
type orderedPackets []orderedPacket

func (o orderedPackets) Sort() {
	sort.Slice(o, func(i, j int) bool {
		return o[i].orderID() < o[j].orderID()
	})
}

// // packet registry
// register incoming packets to be handled
func (s *packetManager) incomingPacket(pkt orderedRequest) {
	s.working.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	debug("incoming id (oid): %v (%v)", pkt.id(), pkt.orderID())
	s.incoming = append(s.incoming, pkt)
	s.incoming.Sort()
	s.maybeSendPackets()
}

// register outgoing packets as being ready, and send every response
// that is next in order: the goroutine that completes the order sends
// (no goroutine of its own waits for responses).
func (s *packetManager) readyPacket(pkt orderedResponse) {
	s.mu.Lock()
	debug("outgoing id (oid): %v (%v)", pkt.id(), pkt.orderID())
	s.outgoing = append(s.outgoing, pkt)
	s.outgoing.Sort()
	s.maybeSendPackets()
	s.mu.Unlock()
	s.working.Done()
}

// workerChan starts the workers, with runWorker, and returns dispatch,
// which hands a request to them, and done, to call once no more will come
// (the workers then end). Responses keep the order of the requests
// (section 7 of the RFC) while reads and writes run in parallel. dispatch
// runs in the caller's goroutine, the one that reads the requests: it
// waits while the command worker is busy with the previous command, and
// no goroutine of its own waits for requests.
func (s *packetManager) workerChan(runWorker func(chan orderedRequest),
) (dispatch func(orderedRequest), done func()) {
	// multiple workers for faster read/writes, started on demand (below):
	// an idle session holds none of them, a busy one up to
	// SftpServerWorkerCount.
	rwChan := make(chan orderedRequest, SftpServerWorkerCount)
	rwWorkers := 0

	// single worker to enforce sequential processing of everything else
	cmdChan := make(chan orderedRequest)
	runWorker(cmdChan)

	dispatch = func(pkt orderedRequest) {
		switch pkt.requestPacket.(type) {
		case *sshFxpReadPacket, *sshFxpWritePacket:
			s.incomingPacket(pkt)
			rwChan <- pkt
			// A packet left in the buffer found no worker waiting
			// for one: start another, up to the limit.
			if len(rwChan) > 0 && rwWorkers < SftpServerWorkerCount {
				runWorker(rwChan)
				rwWorkers++
			}
			return
		case *sshFxpClosePacket:
			// wait for reads/writes to finish when file is closed
			// incomingPacket() call must occur after this
			s.working.Wait()
		}
		s.incomingPacket(pkt)
		// all non-RW use sequential cmdChan
		cmdChan <- pkt
	}
	done = func() {
		close(rwChan)
		close(cmdChan)
	}
	return dispatch, done
}

// send as many packets as are ready; s.mu is held
func (s *packetManager) maybeSendPackets() {
	for {
		if len(s.outgoing) == 0 || len(s.incoming) == 0 {
			debug("break! -- outgoing: %v; incoming: %v",
				len(s.outgoing), len(s.incoming))
			break
		}
		out := s.outgoing[0]
		in := s.incoming[0]
		// debug("incoming: %v", ids(s.incoming))
		// debug("outgoing: %v", ids(s.outgoing))
		if in.orderID() == out.orderID() {
			debug("Sending packet: %v", out.id())
			s.sender.sendPacket(out.(encoding.BinaryMarshaler))
			if s.alloc != nil {
				// mark for reuse the slices allocated for this request
				s.alloc.ReleasePages(in.orderID())
			}
			// pop off heads
			copy(s.incoming, s.incoming[1:])            // shift left
			s.incoming[len(s.incoming)-1] = nil         // clear last
			s.incoming = s.incoming[:len(s.incoming)-1] // remove last
			copy(s.outgoing, s.outgoing[1:])            // shift left
			s.outgoing[len(s.outgoing)-1] = nil         // clear last
			s.outgoing = s.outgoing[:len(s.outgoing)-1] // remove last
		} else {
			break
		}
	}
}

// func oids(o []orderedPacket) []uint32 {
// 	res := make([]uint32, 0, len(o))
// 	for _, v := range o {
// 		res = append(res, v.orderId())
// 	}
// 	return res
// }
// func ids(o []orderedPacket) []uint32 {
// 	res := make([]uint32, 0, len(o))
// 	for _, v := range o {
// 		res = append(res, v.id())
// 	}
// 	return res
// }
