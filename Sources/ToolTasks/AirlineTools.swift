import Runs
import Storage

/// The 14 tools of tau2's airline domain, ported to Swift over the imported document tables
/// (`flights`, `users`, `reservations`: `key TEXT PRIMARY KEY, doc TEXT`). Outputs, errors and state
/// changes follow tau2-bench's airline toolkit (checked against `gold_replay.json`).
enum AirlineTools {
    static let all: [(String, NativeToolFunction)] = [
        ("book_reservation", bookReservation),
        ("calculate", { args, _ in .string(try Calculator.text(args["expression"]?.stringValue ?? "")) }),
        ("cancel_reservation", cancelReservation),
        ("get_flight_status", getFlightStatus),
        ("get_reservation_details", { args, ctx in .object(try reservation(ctx, args.string("reservation_id"))) }),
        ("get_user_details", { args, ctx in .object(try user(ctx, args.string("user_id"))) }),
        ("list_all_airports", { _, _ in airports }),
        ("search_direct_flight", searchDirect),
        ("search_onestop_flight", searchOnestop),
        ("send_certificate", sendCertificate),
        ("transfer_to_human_agents", { _, _ in .string("Transfer successful") }),
        ("update_reservation_baggages", updateBaggages),
        ("update_reservation_flights", updateFlights),
        ("update_reservation_passengers", updatePassengers),
    ]

    // MARK: Lookups

    static func user(_ ctx: ToolContext, _ id: String) throws -> JSONObject {
        try DocumentStore.load(ctx.connection, table: "users", key: id, what: "User")
    }

    static func reservation(_ ctx: ToolContext, _ id: String) throws -> JSONObject {
        var doc = try DocumentStore.load(ctx.connection, table: "reservations", key: id, what: "Reservation")
        if doc["status"] == nil { doc["status"] = .null }
        return doc
    }

    static func flight(_ ctx: ToolContext, _ number: String) throws -> JSONObject {
        try DocumentStore.load(ctx.connection, table: "flights", key: number, what: "Flight")
    }

    static func instance(_ flight: JSONObject, _ number: String, _ date: String) throws -> JSONObject {
        guard let status = flight["dates"]?[date]?.objectValue else {
            throw RunError(.tool, "Flight \(number) not found on date \(date)")
        }
        return status
    }

    static func dbl(_ value: JSONValue?) -> Double { value?.doubleValue ?? 0 }

    static func pythonNumber(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    // MARK: Tools

    static func getFlightStatus(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let number = try args.string("flight_number")
        let status = try instance(try flight(ctx, number), number, try args.string("date"))
        return status["status"] ?? .null
    }

    static func bookReservation(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let userID = try args.string("user_id")
        var owner = try user(ctx, userID)
        var reservationID: String? = nil
        for candidate in ["HATHAT", "HATHAU", "HATHAV"]
        where try ctx.connection.queryOne("SELECT 1 FROM reservations WHERE key = ?", [.text(candidate)]) == nil {
            reservationID = candidate
            break
        }
        guard let reservationID else { throw ctx.fail("Too many reservations") }
        let cabin = try args.string("cabin")
        let passengers = (args["passengers"]?.arrayValue ?? []).map(passenger)
        let payments = (args["payment_methods"]?.arrayValue ?? []).map { p in
            JSONValue.object(JSONObject([("payment_id", p["payment_id"] ?? .null), ("amount", p["amount"] ?? .null)]))
        }
        var flights: [String: JSONObject] = [:]
        var flightOrder: [String] = []
        var reserved: [JSONValue] = []
        var seatUpdates: [(String, String)] = []
        var total = 0.0
        for info in args["flights"]?.arrayValue ?? [] {
            let number = info["flight_number"]?.stringValue ?? ""
            let date = info["date"]?.stringValue ?? ""
            let doc: JSONObject
            if let cached = flights[number] {
                doc = cached
            } else {
                doc = try flight(ctx, number)
                flights[number] = doc
                flightOrder.append(number)
            }
            let status = try instance(doc, number, date)
            guard status["status"]?.stringValue == "available" else {
                throw ctx.fail("Flight \(number) not available on date \(date)")
            }
            guard dbl(status["available_seats"]?[cabin]) >= Double(passengers.count) else {
                throw ctx.fail("Not enough seats on flight \(number)")
            }
            let price = status["prices"]?[cabin] ?? .integer(0)
            reserved.append(
                .object(
                    JSONObject([
                        ("flight_number", .string(number)), ("origin", doc["origin"] ?? .null),
                        ("destination", doc["destination"] ?? .null), ("date", .string(date)), ("price", price),
                    ])))
            seatUpdates.append((number, date))
            total += dbl(price) * Double(passengers.count)
        }
        if args["insurance"]?.stringValue == "yes" { total += 30 * Double(passengers.count) }
        total += 50 * dbl(args["nonfree_baggages"])
        var methods = owner["payment_methods"]?.objectValue ?? JSONObject()
        for payment in payments {
            let id = payment["payment_id"]?.stringValue ?? ""
            guard let method = methods[id] else { throw ctx.fail("Payment method \(id) not found") }
            let source = method["source"]?.stringValue
            if source == "gift_card" || source == "certificate", dbl(method["amount"]) < dbl(payment["amount"]) {
                throw ctx.fail("Not enough balance in payment method \(id)")
            }
        }
        let paid = payments.reduce(0.0) { $0 + dbl($1["amount"]) }
        guard paid == total else {
            throw ctx.fail(
                "Payment amount does not add up, total price is \(pythonNumber(total)), but paid \(pythonNumber(paid))")
        }
        for payment in payments {
            let id = payment["payment_id"]?.stringValue ?? ""
            guard var method = methods[id]?.objectValue else { continue }
            switch method["source"]?.stringValue {
            case "gift_card":
                method["amount"] = .number(dbl(method["amount"]) - dbl(payment["amount"]))
                methods[id] = .object(method)
            case "certificate":
                methods[id] = nil
            default: break
            }
        }
        owner["payment_methods"] = .object(methods)
        for (number, date) in seatUpdates {
            guard var doc = flights[number], var dates = doc["dates"]?.objectValue,
                var status = dates[date]?.objectValue,
                var seats = status["available_seats"]?.objectValue
            else { continue }
            seats[cabin] = .integer(Int64(dbl(seats[cabin])) - Int64(passengers.count))
            status["available_seats"] = .object(seats)
            dates[date] = .object(status)
            doc["dates"] = .object(dates)
            flights[number] = doc
        }
        let reservation = JSONObject([
            ("reservation_id", .string(reservationID)), ("user_id", .string(userID)),
            ("origin", args["origin"] ?? .null), ("destination", args["destination"] ?? .null),
            ("flight_type", args["flight_type"] ?? .null), ("cabin", .string(cabin)), ("flights", .array(reserved)),
            ("passengers", .array(passengers)), ("payment_history", .array(payments)),
            ("created_at", .string(ctx.clock)),
            ("total_baggages", args["total_baggages"] ?? .integer(0)),
            ("nonfree_baggages", args["nonfree_baggages"] ?? .integer(0)),
            ("insurance", args["insurance"] ?? .null), ("status", .null),
        ])
        for number in flightOrder {
            if let doc = flights[number] { try DocumentStore.save(ctx.connection, table: "flights", key: number, doc) }
        }
        try DocumentStore.save(ctx.connection, table: "reservations", key: reservationID, reservation)
        owner["reservations"] = .array((owner["reservations"]?.arrayValue ?? []) + [.string(reservationID)])
        try DocumentStore.save(ctx.connection, table: "users", key: userID, owner)
        return .object(reservation)
    }

    static func passenger(_ p: JSONValue) -> JSONValue {
        .object(
            JSONObject([
                ("first_name", p["first_name"] ?? .null), ("last_name", p["last_name"] ?? .null),
                ("dob", p["dob"] ?? .null),
            ]))
    }

    static func cancelReservation(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let id = try args.string("reservation_id")
        var doc = try reservation(ctx, id)
        var history = doc["payment_history"]?.arrayValue ?? []
        let refunds = history.map { p -> JSONValue in
            let amount: JSONValue
            switch p["amount"] {
            case .integer(let i)?: amount = .integer(-i)
            case .number(let d)?: amount = .number(-d)
            default: amount = .integer(0)
            }
            return .object(JSONObject([("payment_id", p["payment_id"] ?? .null), ("amount", amount)]))
        }
        history += refunds
        doc["payment_history"] = .array(history)
        doc["status"] = "cancelled"
        try DocumentStore.save(ctx.connection, table: "reservations", key: id, doc)
        return .object(doc)
    }

    static func sendCertificate(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let userID = try args.string("user_id")
        var owner = try user(ctx, userID)
        var methods = owner["payment_methods"]?.objectValue ?? JSONObject()
        let amount = args["amount"] ?? .integer(0)
        for suffix in [3_221_322, 3_221_323, 3_221_324] {
            let id = "certificate_\(suffix)"
            guard methods[id] == nil else { continue }
            methods[id] = .object(JSONObject([("source", "certificate"), ("id", .string(id)), ("amount", amount)]))
            owner["payment_methods"] = .object(methods)
            try DocumentStore.save(ctx.connection, table: "users", key: userID, owner)
            return .string("Certificate \(id) added to user \(userID) with amount \(pythonNumber(dbl(amount))).")
        }
        throw ctx.fail("Too many certificates")
    }

    /// tau2's `_payment_for_update`: checks and charges one stored method; returns the payment record, if any.
    static func charge(_ owner: inout JSONObject, _ paymentID: String, _ total: Double, _ ctx: ToolContext) throws
        -> JSONValue?
    {
        var methods = owner["payment_methods"]?.objectValue ?? JSONObject()
        guard var method = methods[paymentID]?.objectValue else { throw ctx.fail("Payment method not found") }
        let source = method["source"]?.stringValue
        if source == "certificate" { throw ctx.fail("Certificate cannot be used to update reservation") }
        if source == "gift_card", dbl(method["amount"]) < total { throw ctx.fail("Gift card balance is not enough") }
        if source == "gift_card" {
            method["amount"] = .number(dbl(method["amount"]) - total)
            methods[paymentID] = .object(method)
            owner["payment_methods"] = .object(methods)
        }
        guard total != 0 else { return nil }
        let amount: JSONValue = total == total.rounded() ? .integer(Int64(total)) : .number(total)
        return .object(JSONObject([("payment_id", .string(paymentID)), ("amount", amount)]))
    }

    static func updateBaggages(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let id = try args.string("reservation_id")
        var doc = try reservation(ctx, id)
        let userID = doc["user_id"]?.stringValue ?? ""
        var owner = try user(ctx, userID)
        let nonfree = dbl(args["nonfree_baggages"])
        let total = 50 * max(0, nonfree - dbl(doc["nonfree_baggages"]))
        if let payment = try charge(&owner, try args.string("payment_id"), total, ctx) {
            doc["payment_history"] = .array((doc["payment_history"]?.arrayValue ?? []) + [payment])
        }
        doc["total_baggages"] = args["total_baggages"] ?? .integer(0)
        doc["nonfree_baggages"] = args["nonfree_baggages"] ?? .integer(0)
        try DocumentStore.save(ctx.connection, table: "users", key: userID, owner)
        try DocumentStore.save(ctx.connection, table: "reservations", key: id, doc)
        return .object(doc)
    }

    static func updateFlights(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let id = try args.string("reservation_id")
        var doc = try reservation(ctx, id)
        let userID = doc["user_id"]?.stringValue ?? ""
        var owner = try user(ctx, userID)
        let cabin = try args.string("cabin")
        let passengers = Double(doc["passengers"]?.arrayValue?.count ?? 0)
        let current = doc["flights"]?.arrayValue ?? []
        var total = 0.0
        var updated: [JSONValue] = []
        for info in args["flights"]?.arrayValue ?? [] {
            let number = info["flight_number"]?.stringValue ?? ""
            let date = info["date"]?.stringValue ?? ""
            let flightDoc = try flight(ctx, number)
            if doc["cabin"]?.stringValue == cabin,
                let existing = current.first(where: {
                    $0["flight_number"]?.stringValue == number && $0["date"]?.stringValue == date
                })
            {
                total += dbl(existing["price"]) * passengers
                updated.append(existing)
                continue
            }
            let status = try instance(flightDoc, number, date)
            guard status["status"]?.stringValue == "available" else {
                throw ctx.fail("Flight \(number) not available on date \(date)")
            }
            guard dbl(status["available_seats"]?[cabin]) >= passengers else {
                throw ctx.fail("Not enough seats on flight \(number)")
            }
            let price = status["prices"]?[cabin] ?? .integer(0)
            updated.append(
                .object(
                    JSONObject([
                        ("flight_number", .string(number)), ("origin", flightDoc["origin"] ?? .null),
                        ("destination", flightDoc["destination"] ?? .null), ("date", .string(date)), ("price", price),
                    ])))
            total += dbl(price) * passengers
        }
        total -= current.reduce(0.0) { $0 + dbl($1["price"]) } * passengers
        if let payment = try charge(&owner, try args.string("payment_id"), total, ctx) {
            doc["payment_history"] = .array((doc["payment_history"]?.arrayValue ?? []) + [payment])
        }
        doc["flights"] = .array(updated)
        doc["cabin"] = .string(cabin)
        try DocumentStore.save(ctx.connection, table: "users", key: userID, owner)
        try DocumentStore.save(ctx.connection, table: "reservations", key: id, doc)
        return .object(doc)
    }

    static func updatePassengers(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let id = try args.string("reservation_id")
        var doc = try reservation(ctx, id)
        let passengers = (args["passengers"]?.arrayValue ?? []).map(passenger)
        guard passengers.count == doc["passengers"]?.arrayValue?.count ?? 0 else {
            throw ctx.fail("Number of passengers does not match")
        }
        doc["passengers"] = .array(passengers)
        try DocumentStore.save(ctx.connection, table: "reservations", key: id, doc)
        return .object(doc)
    }

    static func direct(_ ctx: ToolContext, date: String, origin: String?, destination: String?, leaveAfter: String?)
        throws -> [JSONObject]
    {
        var out: [JSONObject] = []
        // Filter in SQLite (JSON1) first, then decode only the matching documents, in insertion order.
        guard !date.contains("\""), !date.contains("\\") else { return [] }
        var sql = "SELECT doc FROM flights WHERE json_extract(doc, ?) = 'available'"
        var bindings: [SQLValue] = [.text("$.dates.\"\(date)\".status")]
        if let origin {
            sql += " AND json_extract(doc, '$.origin') = ?"
            bindings.append(.text(origin))
        }
        if let destination {
            sql += " AND json_extract(doc, '$.destination') = ?"
            bindings.append(.text(destination))
        }
        let documents = try ctx.connection.query(sql + " ORDER BY rowid", bindings).map { row in
            try JSONValue.parse(try row.string("doc")).objectValue ?? JSONObject()
        }
        for f in documents {
            guard origin == nil || f["origin"]?.stringValue == origin,
                destination == nil || f["destination"]?.stringValue == destination,
                let status = f["dates"]?[date]?.objectValue, status["status"]?.stringValue == "available",
                leaveAfter == nil || (f["scheduled_departure_time_est"]?.stringValue ?? "") >= (leaveAfter ?? "")
            else { continue }
            out.append(
                JSONObject([
                    ("flight_number", f["flight_number"] ?? .null), ("origin", f["origin"] ?? .null),
                    ("destination", f["destination"] ?? .null), ("status", "available"),
                    ("scheduled_departure_time_est", f["scheduled_departure_time_est"] ?? .null),
                    ("scheduled_arrival_time_est", f["scheduled_arrival_time_est"] ?? .null), ("date", .null),
                    ("available_seats", status["available_seats"] ?? .null), ("prices", status["prices"] ?? .null),
                ]))
        }
        return out
    }

    static func searchDirect(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        .array(
            try direct(
                ctx, date: try args.string("date"), origin: try args.string("origin"),
                destination: try args.string("destination"), leaveAfter: nil
            )
            .map(JSONValue.object))
    }

    static func searchOnestop(_ args: JSONObject, _ ctx: ToolContext) throws -> JSONValue {
        let date = try args.string("date")
        var results: [JSONValue] = []
        for var first in try direct(
            ctx, date: date, origin: try args.string("origin"), destination: nil, leaveAfter: nil)
        {
            first["date"] = .string(date)
            let arrival = first["scheduled_arrival_time_est"]?.stringValue ?? ""
            var date2 = date
            if arrival.contains("+1") { date2 = "2024-05-\((Int(date.suffix(2)) ?? 0) + 1)" }
            for var second in try direct(
                ctx, date: date2, origin: first["destination"]?.stringValue,
                destination: try args.string("destination"), leaveAfter: arrival)
            {
                second["date"] = .string(date2)
                results.append(.array([.object(first), .object(second)]))
            }
        }
        return .array(results)
    }

    static let airports: JSONValue = .array(
        [
            ("SFO", "San Francisco"), ("JFK", "New York"), ("LAX", "Los Angeles"), ("ORD", "Chicago"),
            ("DFW", "Dallas"),
            ("DEN", "Denver"), ("SEA", "Seattle"), ("ATL", "Atlanta"), ("MIA", "Miami"), ("BOS", "Boston"),
            ("PHX", "Phoenix"),
            ("IAH", "Houston"), ("LAS", "Las Vegas"), ("MCO", "Orlando"), ("EWR", "Newark"), ("CLT", "Charlotte"),
            ("MSP", "Minneapolis"), ("DTW", "Detroit"), ("PHL", "Philadelphia"), ("LGA", "LaGuardia"),
        ].map { .object(JSONObject([("iata", .string($0.0)), ("city", .string($0.1))])) })
}

extension JSONObject {
    /// A required string argument (schema validation has already checked it).
    func string(_ key: String) throws -> String {
        guard let value = self[key]?.stringValue else { throw RunError(.tool, "missing argument \(key)") }
        return value
    }
}
